"""Wiring for the long-running collector: inventory, client, store writer, scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from sqlalchemy import Engine

from noc.collector.engine import Collector
from noc.collector.scheduler import Scheduler
from noc.dr.checks import DrReport
from noc.exporter import NocMetrics
from noc.inventory import Inventory
from noc.settings import Settings
from noc.snmp.client import SnmpClient
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.maintenance import list_windows
from noc.store.writer import StoreWriter

log = logging.getLogger(__name__)


@dataclass
class Service:
    collector: Collector
    scheduler: Scheduler
    writer: StoreWriter
    dr_report: DrReport | None = None

    def metrics(self) -> NocMetrics:
        return NocMetrics(self.collector, self.scheduler.stats, self.writer,
                          lambda: self.dr_report)  # fmt: skip


def build_service(inv: Inventory, client: SnmpClient, settings: Settings) -> Service:
    engine = make_engine(settings.db_url())

    def prepare(engine: Engine) -> None:
        upgrade(engine)
        sync_inventory(engine, inv)

    # The database may be down at start: poll anyway; the writer prepares it when it answers.
    writer = StoreWriter(engine, settings.write_buffer, prepare=prepare,
                         rollup_retention_days=settings.rollup_retention_days)  # fmt: skip
    collector = Collector(inv, client, writer)
    return Service(collector, Scheduler(collector, settings.concurrency), writer)


async def run_service(
    service: Service,
    stop: asyncio.Event,
    http: tuple[str, int] | None = None,
    var_dir: Path = Path("var"),
) -> None:
    """Poll until `stop` (serving the API and /metrics at `http` if given), then flush: the
    last rollups, UNKNOWN from now, everything buffered."""
    server = _http_server(service, http, var_dir) if http else None
    server_task = asyncio.create_task(server.serve()) if server else None
    writer_task = asyncio.create_task(service.writer.run(stop))
    windows_task = asyncio.create_task(refresh_windows(service, stop))
    dr_task = asyncio.create_task(dr_checks(service, stop))
    try:
        await service.scheduler.run(stop)
    finally:
        service.writer.emit(service.collector.shutdown_events())
        await writer_task
        await windows_task
        await dr_task
        if server is not None and server_task is not None:
            server.should_exit = True
            await server_task


class _Server(uvicorn.Server):
    """uvicorn inside our event loop: signals stay with the caller, which sets `stop`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _http_server(service: Service, http: tuple[str, int], var_dir: Path) -> uvicorn.Server:
    from noc.api.app import ApiContext, create_app
    from noc.diag.audit import AuditLog
    from noc.snmp.lean_client import default_client

    engine = service.writer.engine
    ctx = ApiContext(
        inv=service.collector.inv,
        engine=engine,
        audit=AuditLog(engine, var_dir / "audit-pending.jsonl"),
        client_factory=default_client,
        collector=service.collector,
        metrics=service.metrics(),
        dr_report=lambda: service.dr_report,
    )
    host, port = http
    config = uvicorn.Config(create_app(ctx), host=host, port=port, log_level="warning",
                            access_log=False, lifespan="off", server_header=False)  # fmt: skip
    return _Server(config)


async def dr_checks(service: Service, stop: asyncio.Event) -> None:
    """The DR readiness checks on their interval, on the collector's live view; each result
    kept in the store (when it answers) and shown in /metrics and the API."""
    from noc.dr.history import record
    from noc.dr.runner import run_checks

    dr = service.collector.inv.dr
    if dr is None:
        return
    with contextlib.suppress(TimeoutError):  # let the first polls land before judging
        await asyncio.wait_for(stop.wait(), timeout=min(dr.check_interval_s, 30))
    while not stop.is_set():
        try:
            report, _ = await run_checks(service.collector.inv, service.collector.client,
                                         service.collector)  # fmt: skip
            service.dr_report = report
            await asyncio.to_thread(record, service.writer.engine, report)
        except Exception as exc:  # a failing check run must not stop the collector
            log.warning("DR checks: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=dr.check_interval_s)


async def refresh_windows(service: Service, stop: asyncio.Event, every_s: float = 60.0) -> None:
    """Keep the collector's run-time maintenance windows current (the store may be down)."""
    while not stop.is_set():
        try:
            service.collector.stored_windows = await asyncio.to_thread(
                list_windows, service.writer.engine
            )
        except Exception as exc:  # no windows from a store that does not answer: keep the last
            log.debug("maintenance windows not refreshed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
