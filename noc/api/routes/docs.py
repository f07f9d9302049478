"""Swagger UI and ReDoc from assets shipped in a package (fastapi-offline's): the docs work on
a network with no internet."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)
TITLE = "NOC toolkit API"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
}


@router.get("/docs")
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=TITLE,
        swagger_js_url="/docs/static/swagger-ui-bundle.js",
        swagger_css_url="/docs/static/swagger-ui.css",
        swagger_favicon_url="/docs/static/favicon.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
    )


@router.get("/docs/oauth2-redirect")
def oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title=TITLE,
        redoc_js_url="/docs/static/redoc.standalone.js",
        redoc_favicon_url="/docs/static/favicon.png",
        with_google_fonts=False,
    )


@router.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for on every page (a 404 on every load otherwise)."""
    body = resources.files("fastapi_offline").joinpath("static", "favicon.png").read_bytes()
    return Response(body, media_type="image/png", headers={"Cache-Control": "max-age=86400"})


# ReDoc's footer fetches its own logo from a CDN, which a NOC with no internet cannot reach:
# the shipped script points at the shipped icon instead.
REDOC_LOGO = (b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"/docs/static/favicon.png")


@router.get("/docs/static/{name}")
def asset(name: str) -> Response:
    kind = ASSETS.get(name)
    if kind is None:
        raise HTTPException(404, "no such file")
    body = resources.files("fastapi_offline").joinpath("static", name).read_bytes()
    if name == "redoc.standalone.js":
        body = body.replace(*REDOC_LOGO)
    return Response(body, media_type=kind, headers={"Cache-Control": "max-age=86400"})
