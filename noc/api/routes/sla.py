"""Monthly SLA reports: the summary, and the report in JSON, CSV, HTML or PDF."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from noc.api.deps import PREFIX, ApiContext, Ctx, Manager
from noc.api.schemas import SlaFormat
from noc.inventory import Inventory
from noc.sla.compute import Period, month
from noc.sla.i18n import Locale
from noc.sla.pdf import PdfError, render_pdf
from noc.sla.render import figures, to_csv, to_html, to_json
from noc.sla.report import Report, build_report
from noc.store.db import make_engine

router = APIRouter(prefix=PREFIX, tags=["sla"])
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)
MonthText = Annotated[str, Query(alias="month", pattern=MONTH_PATTERN)]


async def report_for(ctx: ApiContext, request: Request, month_text: str) -> Report:
    """The month's report, computed away from the polls, at most `ctx.reports` at once; a
    client that has gone while it waited its turn costs nothing."""
    if not _MONTH.match(month_text):
        raise HTTPException(422, "month must look like 2026-10")
    year, mon = (int(x) for x in month_text.split("-"))
    if not 1970 <= year <= 2999:
        raise HTTPException(422, "month must be between 1970-01 and 2999-12")
    period = month(year, mon, ctx.inv.network.timezone)
    async with ctx.reports:
        if await request.is_disconnected():
            raise HTTPException(499, "the client went away")
        return await _compute_report(ctx, period)


@router.get("/sla/summary")
async def sla_summary(
    ctx: Ctx, _: Manager, request: Request, month_text: MonthText
) -> dict[str, Any]:
    """A month's SLA per tier: availability, coverage and compliance against the target."""
    data = await report_for(ctx, request, month_text)
    return {
        "network": data.network,
        "month": month_text,
        "timezone": data.timezone,
        "generated": data.generated,
        "coverage": data.coverage,
        "network_availability": figures(data.whole),
        "tiers": {k: figures(v) for k, v in sorted(data.tiers.items())},
    }


@router.get("/sla/report", response_model=None)
async def sla_report(
    ctx: Ctx,
    _: Manager,
    request: Request,
    month_text: MonthText,
    fmt: Annotated[SlaFormat, Query(alias="format")] = SlaFormat.JSON,
    lang: Literal["id", "en"] = "id",
) -> Response:
    """A month's SLA report in JSON, CSV, HTML or PDF, in Bahasa Indonesia or English."""
    data = await report_for(ctx, request, month_text)
    if fmt == SlaFormat.JSON:
        return Response(await asyncio.to_thread(to_json, data), media_type="application/json")
    loc = Locale(lang, ctx.inv.network.timezone)
    if fmt == SlaFormat.CSV:
        return PlainTextResponse(await asyncio.to_thread(to_csv, data, loc), media_type="text/csv")
    page = await asyncio.to_thread(to_html, data, loc)
    if fmt == SlaFormat.HTML:
        return HTMLResponse(page)
    try:
        pdf = await asyncio.to_thread(render_pdf, page)
    except PdfError as exc:
        raise HTTPException(503, str(exc)) from None
    name = f"sla-{month_text}-{lang}.pdf"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(pdf, media_type="application/pdf", headers=disposition)


_REPORT_POOL: ProcessPoolExecutor | None = None


def _report_worker(url: str, inv: Inventory, period: Period) -> Report:
    """In a separate process: the report's computation never competes with the collector for
    the interpreter lock."""
    return build_report(make_engine(url), inv, period)


async def _compute_report(ctx: ApiContext, period: Period) -> Report:
    global _REPORT_POOL
    url = ctx.engine.url.render_as_string(hide_password=False)
    if ctx.engine.dialect.name == "sqlite" and url in ("sqlite://", "sqlite:///:memory:"):
        return await asyncio.to_thread(build_report, ctx.engine, ctx.inv, period)
    if _REPORT_POOL is None:
        spawn = multiprocessing.get_context("spawn")
        _REPORT_POOL = ProcessPoolExecutor(max_workers=2, mp_context=spawn)
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_REPORT_POOL, _report_worker, url, ctx.inv, period)
    except BrokenProcessPool:
        _REPORT_POOL = None
        raise HTTPException(503, "the report worker stopped; try again") from None
