"""/healthz and Prometheus's /metrics, both public."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from noc.api.deps import Ctx

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz(ctx: Ctx) -> JSONResponse:
    """200 while this collector does its work; 503 with the reason when it cannot (in a
    fleet: it holds no poll domain while there is work)."""
    trouble = ctx.trouble() if ctx.trouble is not None else None
    if trouble:
        return JSONResponse({"status": "failing", "reason": trouble}, status_code=503)
    return JSONResponse({"status": "ok"})


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: named (or `*`) with a q above 0;
    `gzip;q=0` refuses it."""
    chosen: dict[str, float] = {}
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name:
            chosen[name.strip()] = q
    if "gzip" in chosen:
        return chosen["gzip"] > 0
    return chosen.get("*", 0.0) > 0


@router.get("/metrics")
async def metrics(ctx: Ctx, request: Request) -> Response:
    if ctx.metrics is None:
        raise HTTPException(404, "no collector in this process")
    gzip = accepts_gzip(request.headers.get("accept-encoding", ""))
    body = await ctx.metrics_cache.get(ctx.metrics, gzip=gzip)
    headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"} if gzip else None
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8", headers=headers)
