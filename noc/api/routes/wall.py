"""The wall screen's routes: a kiosk login that puts the viewer token in an HttpOnly cookie
(never in the URL), the page and its shipped assets, and the Server-Sent Events stream.

    GET  /wall            the screen, or the login form without a valid cookie
    POST /wall/login      token (and language) from the form; sets the cookie
    POST /wall/logout     clears it
    GET  /wall/events     the live document (`view` events) and `tick`s, for a viewer
    GET  /wall/static/F   the page's CSS and JavaScript, from the package
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from importlib import resources
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.exc import SQLAlchemyError

from noc.api.deps import ApiContext, Ctx, authenticate
from noc.store.tokens import Principal, Right, Role, lookup
from noc.wall.hub import WallHub

COOKIE = "noc_wall"
LANG_COOKIE = "noc_wall_lang"
STATIC = {"wall.css": "text/css; charset=utf-8", "wall.js": "text/javascript; charset=utf-8"}
TICK_S = 5.0
KIOSK_MAX_AGE_S = 400 * 86400
RECHECK_S = 30.0  # an open stream's token is checked again in the store this often

LOGIN = {
    "id": {
        "title": "Layar dinding NOC",
        "token": "Token penampil (viewer)",
        "lang": "Bahasa",
        "go": "Masuk",
        "hint": "Buat token dengan <code>noc token create layar --role viewer</code>. Token "
        "disimpan di cookie peramban ini, tidak pernah di alamat halaman.",
        "bad": "Token tidak dikenal, dicabut, atau kedaluwarsa.",
        "role": "Layar dinding hanya menerima token penampil (viewer): token ini dapat "
        "lebih dari melihat, dan tidak boleh disimpan di peramban layar.",
    },
    "en": {
        "title": "NOC wall screen",
        "token": "Viewer token",
        "lang": "Language",
        "go": "Sign in",
        "hint": "Make a token with <code>noc token create wall --role viewer</code>. It is "
        "kept in this browser's cookie, never in the page address.",
        "bad": "Unknown, revoked or expired token.",
        "role": "The wall takes viewer tokens only: this token can do more than look, "
        "and must not be kept in a screen's browser.",
    },
}


def _asset(name: str) -> bytes:
    return resources.files("noc.wall").joinpath("static", name).read_bytes()


def _lang(request: Request, given: str | None = None) -> str:
    lang = given or request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "id"
    return "en" if lang == "en" else "id"


def login_page(lang: str, error: str | None = None) -> str:
    t = LOGIN[lang]
    other = "en" if lang == "id" else "id"
    names = {"id": "Bahasa Indonesia", "en": "English"}
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{t["title"]}</title>
<link rel="stylesheet" href="/wall/static/wall.css"></head>
<body class="login"><form method="post" action="/wall/login">
<h1>{t["title"]}</h1>
<label for="token">{t["token"]}</label>
<input id="token" name="token" type="password" autocomplete="off" required autofocus>
<label for="lang">{t["lang"]}</label>
<select id="lang" name="lang"><option value="{lang}" selected>{names[lang]}</option>
<option value="{other}">{names[other]}</option></select>
<button type="submit">{t["go"]}</button>
{f'<div class="error" role="alert">{t[error]}</div>' if error else ""}
<p>{t["hint"]}</p>
</form></body></html>"""


router = APIRouter(include_in_schema=False)


async def viewer(request: Request) -> Principal | None:
    token = request.cookies.get(COOKIE)
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        token = bearer[7:].strip()
    if not token:
        return None
    try:
        return await authenticate(request, token, Right.READ)
    except HTTPException as exc:
        if exc.status_code in (401, 403):
            return None
        raise


def hub(ctx: ApiContext) -> WallHub:
    if ctx.wall is None:
        raise HTTPException(404, "the wall screen needs the collector in this process")
    return ctx.wall


@router.get("/wall")
async def wall(ctx: Ctx, request: Request) -> Response:
    lang = _lang(request)
    if await viewer(request) is None:
        return HTMLResponse(login_page(lang))
    hub(ctx)
    page = _asset("wall.html").decode().replace("{lang}", lang)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


def same_origin(request: Request) -> bool:
    """A form posted from this server's own page, not from another site's (login CSRF).
    Browsers say where a post comes from: Sec-Fetch-Site, and Origin (which is "null" under
    this server's no-referrer policy, so Sec-Fetch-Site decides when both are sent). Neither
    header: not a browser, nothing to forge."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


@router.post("/wall/login")
async def login(request: Request) -> Response:
    if not same_origin(request):
        raise HTTPException(403, "the sign-in form must be posted from this server's own page")
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    lang = _lang(request, (form.get("lang") or [""])[0])
    principal = None
    if token:
        try:
            principal = await authenticate(request, token, Right.READ)
        except HTTPException as exc:
            if exc.status_code not in (401, 403):
                raise
    if principal is None:
        return HTMLResponse(login_page(lang, error="bad"), status_code=401)
    if principal.role is not Role.VIEWER:  # the kiosk's cookie holds no more than viewing
        return HTMLResponse(login_page(lang, error="role"), status_code=403)
    response = RedirectResponse("/wall", status_code=303)
    # A kiosk stays signed in through a browser restart: until its token expires, or for the
    # longest a browser keeps a cookie (400 days) when it never does; a revoked token ends it.
    max_age = KIOSK_MAX_AGE_S
    if principal.expires is not None:
        max_age = max(1, min(KIOSK_MAX_AGE_S, int(principal.expires - time.time())))
    secure = request.url.scheme == "https"
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/wall",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        LANG_COOKIE, lang, max_age=365 * 86400, path="/wall", samesite="strict", secure=secure
    )
    return response


@router.post("/wall/logout")
async def logout() -> Response:
    response = RedirectResponse("/wall", status_code=303)
    response.delete_cookie(COOKIE, path="/wall")
    return response


@router.get("/wall/static/{name}")
async def static(name: str) -> Response:
    kind = STATIC.get(name)
    if kind is None:
        raise HTTPException(404, "no such file")
    return Response(_asset(name), media_type=kind, headers={"Cache-Control": "max-age=300"})


def _token(request: Request) -> str:
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return bearer[7:].strip()
    return request.cookies.get(COOKIE, "")


async def still_valid(ctx: ApiContext, token: str, principal: Principal, now: float) -> bool:
    """The stream's token, checked again in the store (not the cache): revoked or expired
    ends the stream. A store that does not answer leaves it open until the token's expiry."""
    if principal.expires is not None and principal.expires <= now:
        return False
    try:
        return await run_in_threadpool(lookup, ctx.engine, token) is not None
    except SQLAlchemyError:
        return True


@router.get("/wall/events")
async def events(ctx: Ctx, request: Request) -> Response:
    principal = await viewer(request)
    if principal is None:
        raise HTTPException(401, "sign in at /wall with a viewer token")
    token = _token(request)
    the_hub = hub(ctx)
    the_hub.ensure_started()
    if not the_hub.open_stream():
        raise HTTPException(
            503,
            "too many wall screens are connected; try again later",
            headers={"Retry-After": "30"},
        )

    async def stream() -> AsyncIterator[bytes]:
        try:
            async for chunk in _stream():
                yield chunk
        finally:
            the_hub.close_stream()

    async def _stream() -> AsyncIterator[bytes]:
        sent = -1
        revoked = the_hub.revocations
        check_at = time.time() + RECHECK_S
        yield b"retry: 3000\n\n"
        while True:
            now = time.time()
            expires = principal.expires if principal.expires is not None else float("inf")
            if now >= min(check_at, expires) or the_hub.revocations != revoked:
                revoked, check_at = the_hub.revocations, now + RECHECK_S
                if not await still_valid(ctx, token, principal, now):
                    # The page goes back to its sign-in form.
                    yield b"event: login\ndata: {}\n\n"
                    return
            if the_hub.version != sent and the_hub.body:
                sent = the_hub.version
                yield b"event: view\ndata: " + the_hub.body + b"\n\n"
            else:
                yield b"event: tick\ndata: " + the_hub.tick() + b"\n\n"
            wait = max(0.05, min(TICK_S, check_at - now, expires - now))
            await the_hub.wait_change(the_hub.version if sent < 0 else sent, wait, revoked)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
