"""/healthz and Prometheus's /metrics, both public."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from noc.api.deps import Ctx

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics")
async def metrics(ctx: Ctx, request: Request) -> Response:
    if ctx.metrics is None:
        raise HTTPException(404, "no collector in this process")
    gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    body = await ctx.metrics_cache.get(ctx.metrics, gzip=gzip)
    headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"} if gzip else None
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8",
                    headers=headers)  # fmt: skip
