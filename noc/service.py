"""The composition root of `noc serve`: inventory, SNMP client, live state and poller, store
writer, scheduler, DR checks, the exporter, the wall screen and the API, wired here and
nowhere else. Nothing below this module imports it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import Engine

from noc import redact
from noc.alerts.config_changes import send_config_changes
from noc.alerts.gateway import GatewayRelay, RelayMetrics
from noc.alerts.silences import AlertmanagerError
from noc.api.app import create_app
from noc.api.deps import ApiContext
from noc.api.guard import IPNetwork
from noc.api.server import Limits, guarded_protocol, raise_open_files_limit, total_for
from noc.config.backup import ConfigStore, Outcome
from noc.config.schedule import ConfigState, run_schedule
from noc.discovery.drift import DriftState, drift
from noc.discovery.sweep import Found, read_tables
from noc.dr.history import record
from noc.dr.readiness import DrReport
from noc.dr.runner import run_checks
from noc.events.match import Directory
from noc.events.process import Listener, Spec
from noc.events.receiver import Heard
from noc.events.traps import V3User
from noc.exporter import DeviceFragments, NocMetrics
from noc.exporter.cache import MetricsCache
from noc.exporter.configs import ConfigMetrics
from noc.exporter.events import EventMetrics
from noc.exporter.flows import FlowMetrics
from noc.exporter.services import ServiceMetrics
from noc.exporter.topology import TopologyMetrics
from noc.fleet.member import Member
from noc.flows.crosscheck import CrossCheck
from noc.flows.process import FlowCollector, uplink_exporter
from noc.flows.process import spec_for as flow_spec
from noc.inventory import Inventory
from noc.polling.domains import FleetError
from noc.polling.events import Tee, link_key, service_key
from noc.polling.livestate import LiveState
from noc.polling.poller import Poller
from noc.polling.scheduler import Scheduler
from noc.services import votes as service_votes
from noc.services.quorum import Judgement, Vote, judge
from noc.services.votes import Ballot
from noc.services.watch import Vantage, Watcher
from noc.settings import Settings
from noc.sla.daily import close_days
from noc.snmp.client import SnmpClient, V2cAuth, V3Auth
from noc.snmp.codecs import ClientFactory, client_factory
from noc.store.audit import AuditLog
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.maintenance import list_windows
from noc.store.recovery import recover
from noc.store.writer import StoreWriter
from noc.wall.hub import WallHub

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listen:
    host: str
    trap_port: int
    syslog_port: int
    log_max: int = 200_000
    log_days: int = 30
    flow_port: int = 0
    flow_days: int = 62
    flow_settle_s: float = 120.0
    flow_window_s: int = 300


HINT_S = 30.0  # how long what a message said counts for the confirming poll


@dataclass
class Service:
    poller: Poller
    scheduler: Scheduler
    writer: StoreWriter
    dr_report: DrReport | None = None
    recovered: bool = False  # the previous run's end is reconciled with the store
    new_client: ClientFactory = field(default_factory=client_factory)
    member: Member | None = None  # one collector of a fleet (else it polls everything)

    fragments: DeviceFragments | None = None  # each device's series, written as polls land
    trusted_proxies: tuple[IPNetwork, ...] = ()  # whose X-Forwarded-For names the client
    http_limits: Limits = field(default_factory=Limits)  # the HTTP server's, against floods

    relay: GatewayRelay | None = None  # the gateway receivers' queue and its delivery
    configs: ConfigState = field(default_factory=ConfigState)  # the scheduled backups
    inventory_path: Path | None = None  # where the compliance rules sit beside it
    listen: Listen | None = None  # traps and syslog: where, and how long the log is kept
    receiver: Listener = field(default_factory=Listener)
    watcher: Watcher | None = None  # the services, from this collector as a vantage point
    judgements: dict[str, Judgement] = field(default_factory=dict)  # of those it judges
    drift: DriftState = field(default_factory=DriftState)  # the last topology check
    topology_check_s: float = 0.0  # how often (0: never)
    flows: FlowCollector = field(default_factory=FlowCollector)  # the uplink's, from the child
    cross: CrossCheck = field(default_factory=CrossCheck)  # flows against SNMP

    def metrics(self) -> NocMetrics:
        extra: list[Any] = [
            ConfigMetrics(self.configs),
            EventMetrics(self.receiver.counters, self.receiver.kernel_drops),
        ]
        if self.relay is not None:
            extra.append(RelayMetrics(self.relay))
        if self.watcher is not None:
            extra.append(ServiceMetrics(self.watcher, self.poller.live))
        extra.append(TopologyMetrics(self.drift))
        if self.listen is not None and self.listen.flow_port:
            uplink = self.poller.inv.uplink
            extra.append(FlowMetrics(self.flows, self.cross, uplink.name if uplink else ""))
        return NocMetrics(
            self.poller.live,
            self.scheduler.stats,
            self.writer,
            lambda: self.dr_report,
            self.member,
            self.fragments,
            extra,
        )


JOURNAL = "pending-events.jsonl"
HTTP_NICENESS = 10


def build_service(inv: Inventory, client: SnmpClient, settings: Settings) -> Service:
    # A lease holder renews every quarter lease; a transaction it leaves open (stopped
    # mid-round or mid-write) ends after half a lease, before its leases run out. Never under
    # 5 s: a busy machine may pause a live collector that long between two statements.
    engine = make_engine(settings.db_url(), idle_in_transaction_s=max(settings.lease_s / 2, 5.0))
    service: Service | None = None

    def prepare(engine: Engine) -> None:
        upgrade(engine)
        sync_inventory(engine, inv)
        if service is not None and not service.recovered:
            # The store was away at start: record the crash gap now. The new run may have
            # opened incidents meanwhile, so the old open ones end where the old run did.
            found = recover(engine, service.writer.replayed)
            closing = []
            for incident in found.incidents.values():
                incident.ended = max(
                    incident.started, *(m.at for m in found.markers if m.entity == incident.entity)
                )
                closing.append(incident)
            service.writer.emit([*found.markers, *closing])
            service.recovered = True

    # The database may be down at start: poll anyway; the writer prepares it when it answers.
    writer = StoreWriter(
        engine,
        settings.write_buffer,
        prepare=prepare,
        rollup_retention_days=settings.rollup_retention_days,
        journal=settings.var_dir / JOURNAL,
    )
    live = LiveState(inv)
    fragments = DeviceFragments(live)
    poller = Poller(inv, client, Tee(writer, fragments), live=live)
    service = Service(
        poller,
        Scheduler(poller, settings.concurrency),
        writer,
        new_client=settings.snmp_client(),
        fragments=fragments,
        trusted_proxies=settings.proxies,
        http_limits=Limits(
            settings.http_header_s, settings.http_per_client, settings.http_max_connections
        ),
        inventory_path=settings.inventory,
        listen=Listen(
            settings.events_host,
            settings.trap_port,
            settings.syslog_port,
            settings.event_log_max,
            settings.event_log_days,
            settings.flow_port,
            settings.flow_days,
            settings.flow_settle_s,
            settings.flow_window_s,
        ),
    )
    service.relay = GatewayRelay(inv, engine)
    service.topology_check_s = settings.topology_check_s
    if inv.services and settings.watch_services:
        service.watcher = Watcher(inv, vantage_of(settings))
    if settings.collector_name is not None:
        if engine.dialect.name != "postgresql":
            raise FleetError(
                "a fleet of collectors shares a PostgreSQL store; "
                "NOC_DATABASE_URL names " + engine.dialect.name
            )
        url = f"http://{settings.http_host}:{settings.http_port}"
        service.member = Member(
            settings.collector_name,
            settings.collector_site,
            url,
            engine,
            poller,
            service.scheduler,
            writer,
            settings.lease_s,
            max_offset_s=settings.max_clock_offset_s,
        )
        service.recovered = True  # each domain's gap is recorded by whoever takes it
    return service


async def reconcile(service: Service, timeout_s: float = 15.0) -> bool:
    """Before the first poll: prepare the store and take over what the previous run left
    (the crash gap as UNKNOWN, open incidents adopted). False when the store does not answer
    in time; the writer then does it when the store returns."""
    writer = service.writer

    def work() -> Any:
        if not writer.prepared:
            service.recovered = True  # recovered below: the preparation's own is not needed
            writer.prepare_now()
        return recover(writer.engine, writer.replayed)

    try:
        found = await asyncio.wait_for(asyncio.to_thread(work), timeout_s)
    except Exception as exc:
        service.recovered = False
        writer.rearm_preparation()
        log.warning(
            "store not reachable at start (%s); the previous run is reconciled when it answers",
            redact.first_line(exc),
        )
        return False
    service.recovered = True
    writer.emit(found.markers)
    service.poller.live.book.open.update(found.incidents)
    if found.markers or found.incidents:
        log.warning(
            "previous run ended without a clean stop: %d entities UNKNOWN from "
            "then, %d open incidents taken over",
            len(found.markers),
            len(found.incidents),
        )
    return True


# Python's collector of reference cycles looks at its youngest objects every 700 new ones. A
# poll makes thousands (every value it decodes) and keeps almost none, so at 10,000 devices
# those looks cost about as much CPU as the polls themselves; every 20,000 they cost a tenth.
# Nothing of the collector's own lives in cycles the counting does not free.
GC_THRESHOLDS = (20_000, 50, 100)


def tune_gc() -> None:
    """The collector of cycles at the pace of a poller (GC_THRESHOLDS)."""
    gc.set_threshold(*GC_THRESHOLDS)


async def run_service(
    service: Service,
    stop: asyncio.Event,
    http: tuple[str, int] | None = None,
    var_dir: Path = Path("var"),
) -> None:
    """Poll until `stop` (serving the API and /metrics at `http` if given), then flush: the
    last rollups, UNKNOWN from now, everything buffered. A fleet member first takes its
    name (NameInUse when another live collector has it)."""
    tune_gc()
    if service.member is not None:
        await service.member.join()
    server = _http_server(service, http, var_dir) if http else None
    # HTTP runs on its own thread and event loop: scrapers and report readers queue there,
    # never in front of the polls.
    server_thread = await _start_http(server) if server is not None else None
    member = service.member
    fleet_task = None
    if member is None:
        await reconcile(service)
    else:
        await member.step()  # the first domains, before the first poll
        fleet_task = _needed(asyncio.create_task(member.run(stop)), "the fleet's lease loop", stop)
    writer_task = _needed(asyncio.create_task(service.writer.run(stop)), "the store writer", stop)
    fastest = service.poller.inv.fastest_poll_s
    windows_task = asyncio.create_task(refresh_windows(service, stop, min(10.0, fastest)))
    dr_task = asyncio.create_task(dr_checks(service, stop))
    relay = service.relay
    relay_task = asyncio.create_task(relay.run(stop)) if relay and relay.gateways else None
    backups_task = asyncio.create_task(config_backups(service, stop, var_dir))
    events_task = asyncio.create_task(hear_devices(service, stop))
    services_task = asyncio.create_task(watch_services(service, stop))
    topology_task = asyncio.create_task(check_topology(service, stop))
    flows_task = asyncio.create_task(collect_flows(service, stop))
    days_task = asyncio.create_task(close_rollup_days(service, stop))
    ended: list[BaseException | None] = []
    try:
        await service.scheduler.run(stop)  # returns once the polls in flight have ended
    finally:
        # Each loop's end is awaited without letting its error cut the stop short: what
        # waits is still flushed or journalled, and the domains still handed back.
        service.writer.emit(service.poller.shutdown_events())
        ended += await asyncio.gather(writer_task, return_exceptions=True)
        await service.writer.close()
        if member is not None and fleet_task is not None:
            ended += await asyncio.gather(fleet_task, return_exceptions=True)
            await member.leave()
        backups_task.cancel()  # a backup in flight is not waited for: its session is a daemon's
        await asyncio.gather(backups_task, return_exceptions=True)
        ended += await asyncio.gather(
            events_task,
            services_task,
            topology_task,
            flows_task,
            days_task,
            return_exceptions=True,
        )
        ended += await asyncio.gather(windows_task, dr_task, return_exceptions=True)
        if relay_task is not None:
            ended += await asyncio.gather(relay_task, return_exceptions=True)
        if server is not None and server_thread is not None:
            server.should_exit = True
            await asyncio.to_thread(server_thread.join, 30)
    for error in ended:
        if error is not None:
            raise error  # the collector ends in error: its supervisor or systemd restarts it


def _needed(task: asyncio.Task[None], what: str, stop: asyncio.Event) -> asyncio.Task[None]:
    """A loop the collector cannot go on without: if it ends in an error, the collector stops
    (and ends in that error) rather than polling on with nothing written or no leases kept."""

    def ended(done: asyncio.Task[None]) -> None:
        error = None if done.cancelled() else done.exception()
        if error is not None:
            log.critical(
                "%s ended: %s; the collector stops", what, redact.first_line(error), exc_info=error
            )
            stop.set()

    task.add_done_callback(ended)
    return task


async def _start_http(server: uvicorn.Server) -> threading.Thread:
    def serve() -> None:
        # The HTTP thread yields the CPU to the polls (a niceness of its own, Linux threads):
        # a flood of requests is served more slowly, the polls keep their pace.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HTTP_NICENESS)
        asyncio.run(server.serve())

    thread = threading.Thread(target=serve, name="noc-http", daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            return thread
        if not thread.is_alive():
            break
        await asyncio.sleep(0.05)
    config = server.config
    raise OSError(f"cannot serve HTTP on {config.host}:{config.port} (is the port taken?)")


class _Server(uvicorn.Server):
    """uvicorn inside our event loop: signals stay with the caller, which sets `stop`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _http_server(service: Service, http: tuple[str, int], var_dir: Path) -> uvicorn.Server:
    engine = service.writer.engine
    live = service.poller.live

    def dr_report() -> DrReport | None:
        return service.dr_report

    wall = WallHub(live, service.scheduler.stats, service.writer, dr_report, engine)
    if service.listen is not None and service.listen.flow_port:
        wall.talkers = service.flows.top_sites
    ctx = ApiContext(
        inv=service.poller.inv,
        engine=engine,
        audit=AuditLog(engine, var_dir / "audit-pending.jsonl"),
        client_factory=service.new_client,
        live=live,
        metrics=service.metrics(),
        dr_report=dr_report,
        wall=wall,
        lease_s=service.member.lease_s if service.member is not None else 30.0,
        trusted_proxies=service.trusted_proxies,
        trouble=_trouble(service.member),
        gateway=service.relay,
        config_dir=var_dir / "config",
        # A scrape flood is served from one rendering, never older than half a poll.
        metrics_cache=MetricsCache(min(5.0, service.poller.inv.fastest_poll_s / 2)),
    )
    host, port = http
    limits = service.http_limits
    soft, _ = raise_open_files_limit()
    limits.total = total_for(soft, limits.total)
    config = uvicorn.Config(
        create_app(ctx),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        http=guarded_protocol(limits),
        timeout_keep_alive=5,
        # asyncio accepts up to `backlog` connections per wakeup before any
        # is looked at: uvicorn's 2,048 spent every descriptor in one go.
        backlog=128,
    )
    return _Server(config)


def _trouble(member: Member | None) -> Callable[[], str | None] | None:
    if member is None:
        return None

    def starved() -> str | None:
        return member.starved

    return starved


def polled_once(live: LiveState) -> bool:
    """Every device this collector polls has answered or failed at least once."""
    return all(d.polls or d.failures for n, d in live.devices.items() if live.owns(n))


def _said_if_failed(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("DR checks: result not stored: %s", task.exception())


async def dr_checks(service: Service, stop: asyncio.Event) -> None:
    """The DR readiness checks on their interval, on the collector's live view; each result
    kept in the store (when it answers) and shown in /metrics and the API."""
    dr = service.poller.inv.dr
    if dr is None:
        return
    # Let the first polls land before judging: until every device has answered or failed once,
    # for at most the check interval (30 s at most). A member of a fleet waits the whole time:
    # what it holds, and the other collectors' views, come in with its lease rounds.
    live = service.poller.live
    first = time.monotonic() + min(dr.check_interval_s, 30)
    alone = service.member is None
    while not stop.is_set() and time.monotonic() < first and not (alone and polled_once(live)):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)
    saving: asyncio.Task[None] | None = None
    while not stop.is_set():
        try:
            # In a fleet, every live collector's view of the primary is a vantage point.
            member = service.member
            report, _ = await run_checks(
                service.poller.inv,
                service.poller.client,
                service.poller,
                vantages=member.vantages() if member is not None else None,
            )
            service.dr_report = report
            # Kept in the store beside the checks, not before the next: a store that hangs
            # must not freeze the DR verdict a partition needs (while the previous result is
            # still being written, a new one is not stored, and the log says so).
            if saving is None or saving.done():
                saving = asyncio.create_task(
                    asyncio.to_thread(record, service.writer.engine, report)
                )
                saving.add_done_callback(_said_if_failed)
            else:
                log.warning("DR checks: the store has not taken the last result yet")
        except Exception as exc:  # a failing check run must not stop the collector
            log.warning("DR checks: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=dr.check_interval_s)
    if saving is not None:  # the last result, if the store takes it in time (a failure is logged)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(saving), timeout=5)


async def config_backups(service: Service, stop: asyncio.Event, var_dir: Path) -> None:
    """The configuration backups on each tier's schedule, for the devices this collector polls;
    a change is announced to Alertmanager (when the inventory has `alerting:`)."""
    inv = service.poller.inv
    alerting = inv.alerting

    def announce(changed: list[Outcome]) -> None:
        if alerting is None:
            return
        try:
            send_config_changes(alerting.alertmanager_url, changed)
        except AlertmanagerError as exc:
            log.warning("configuration changes kept, but not announced: %s", exc)

    try:
        await run_schedule(
            inv,
            ConfigStore(var_dir / "config"),
            service.configs,
            stop,
            service.inventory_path or Path("inventory.yaml"),
            announce,
            mine=service.poller.live.owns,
        )
    except Exception as exc:  # backups must never stop the polling
        log.warning("configuration backups stopped: %s", redact.first_line(exc))


def trap_credentials(service: Service) -> tuple[frozenset[bytes], dict[str, V3User]]:
    """The communities and v3 users a notification must carry: the inventory's."""
    communities, users = set(), {}
    for target in service.poller.targets.values():
        auth = target.auth
        if isinstance(auth, V2cAuth):
            communities.add(auth.community.get_secret_value().encode())
        elif isinstance(auth, V3Auth):
            priv = auth.priv_key.get_secret_value().encode() if auth.priv_key else None
            users[auth.user] = V3User(
                auth.auth_protocol, auth.auth_key.get_secret_value().encode(), priv
            )
    return frozenset(communities), users


def act_on(service: Service, heard: Heard) -> None:
    """A message is a hint: poll what it speaks of now (one try), and let a poll that agrees
    confirm at once. A configuration change is backed up, with the author the line names."""
    inv, live, scheduler = service.poller.inv, service.poller.live, service.scheduler
    hint, device = heard.hint, heard.device
    until = heard.at + HINT_S
    if hint.kind in ("link_down", "link_up"):
        name = hint.if_name
        if name is None and hint.if_index is not None:
            cache = live.devices[device].details
            found = cache.details.get(hint.if_index) if cache is not None else None
            name = found.name if found is not None else None
        ok = hint.kind == "link_up"
        polls = [device]
        for link in inv.links:
            for near, far in ((link.a, link.b), (link.b, link.a)):
                if near is None or near.device != device or near.interface != name:
                    continue
                live.claim(link_key(link), ok, until)
                if far is not None:
                    live.claim(far.device, ok, until)
                    polls.append(far.device)
        scheduler.poll_soon(polls, quick=True)
    elif hint.kind == "reboot":
        scheduler.poll_soon([device], quick=True)
    elif hint.kind == "config_changed":
        service.configs.changed_by(device, hint.author)


async def hear_devices(service: Service, stop: asyncio.Event) -> None:
    """Traps and syslog: received, decoded and logged in a process of their own (a storm
    costs the polls nothing but a few batches a second), and acted on here."""
    listen = service.listen
    if listen is None or not (listen.trap_port or listen.syslog_port):
        return
    communities, users = trap_credentials(service)
    spec = Spec(
        listen.host,
        listen.trap_port,
        listen.syslog_port,
        Directory(service.poller.inv),
        communities,
        users,
        service.writer.engine.url.render_as_string(hide_password=False),
        listen.log_max,
        listen.log_days,
        logging.getLogger().getEffectiveLevel(),
        service.member.name if service.member is not None else socket.gethostname(),
    )
    await service.receiver.run(spec, lambda heard: act_on(service, heard), stop)


DAYS_S = 3600.0  # how often closed days are summarised into the daily rollups


async def close_rollup_days(service: Service, stop: asyncio.Event) -> None:
    """Each link's closed days, summarised once from its 5-minute rollups (and any day missed
    while the collector was down): what a year's report reads. A fleet member leaves it to the
    collector that holds the uplink's domain, so it is done once."""
    inv = service.poller.inv
    wait = 300.0  # the first, once the collector has settled
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        if stop.is_set():
            return
        wait = DAYS_S
        uplink = inv.uplink
        if uplink is not None and not service.poller.live.owns(uplink.a.device):
            continue
        try:
            closed = await asyncio.to_thread(close_days, service.writer.engine, inv, time.time())
        except Exception as exc:  # the store is away: the next round catches up
            log.debug("daily rollups not made: %s", redact.first_line(exc))
            continue
        if closed:
            log.info("daily rollups: %d day(s) closed", closed)


CROSS_CHECK_S = 10.0  # how often the uplink's counters are sampled for the flow cross-check


async def collect_flows(service: Service, stop: asyncio.Event) -> None:
    """The uplink's flows: collected in a process of their own; here, the uplink's ifIndex is
    told to it once the polls know it, and its counters are sampled for the cross-check."""
    listen = service.listen
    if listen is None or not listen.flow_port:
        return
    inv, live = service.poller.inv, service.poller.live
    spec = flow_spec(
        inv,
        listen.host,
        listen.flow_port,
        service.writer.engine.url.render_as_string(hide_password=False),
        listen.flow_days,
        logging.getLogger().getEffectiveLevel(),
    )
    service.cross.settle_s, service.cross.window_s = listen.flow_settle_s, listen.flow_window_s
    exporter = uplink_exporter(inv)

    async def sampling() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CROSS_CHECK_S)
            if exporter is None:
                continue
            device, interface = exporter
            snap = live.snapshot([device])
            found, at = snap.interface(device, interface), snap.sampled_at.get(device)
            if found is None or at is None:
                continue
            if service.flows.uplink_if != found.index:
                service.flows.tell_uplink(found.index)
            if found.in_octets is not None and found.out_octets is not None:
                service.cross.sample(at, found.in_octets + found.out_octets)
            service.cross.check(service.flows.uplink, time.time())

    sampler = asyncio.create_task(sampling())
    try:
        await service.flows.run(spec, stop)
    finally:
        await asyncio.gather(sampler, return_exceptions=True)


def vantage_of(settings: Settings) -> Vantage:
    """This collector as a vantage point of the services."""
    return Vantage(
        settings.collector_name or socket.gethostname(),
        settings.vantage_source or None,
        settings.vantage_canary or None,
        external=False,
        ca_file=Path(settings.service_ca_file) if settings.service_ca_file else None,
    )


TOPOLOGY_FIRST_S = 120.0  # the first drift check, once the polls have settled


async def check_topology(service: Service, stop: asyncio.Event) -> None:
    """Compare the neighbour tables of the devices this collector holds with the inventory,
    every `topology_check_s`: findings on /metrics (NocTopologyDrift) and one warning line."""
    every = service.topology_check_s
    if every <= 0:
        return
    inv = service.poller.inv
    wait = min(TOPOLOGY_FIRST_S, every)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        if stop.is_set():
            return
        wait = every
        try:
            read_back = await _read_held(service)
        except Exception as exc:  # the check must never stop the collector
            log.warning("topology check failed: %s", redact.first_line(exc))
            continue
        # Off the event loop: thousands of tables compared must not hold the polls back.
        findings = await asyncio.to_thread(drift, inv, [f for f in read_back if f.reason is None])
        # The same object /metrics holds: its fields, not the object, change.
        state = service.drift
        state.findings, state.at, state.devices = findings, time.time(), len(read_back)
        if findings:
            log.warning(
                "topology drift (%d): %s", len(findings), "; ".join(f.text for f in findings[:5])
            )


async def _read_held(service: Service) -> list[Found]:
    """The interfaces and neighbour tables of every device this collector holds."""
    live, targets = service.poller.live, service.poller.targets
    client = service.new_client()
    limit = asyncio.Semaphore(16)

    async def read(name: str) -> Found:
        target = targets[name]
        found = Found(target.address, name, "", "", "")
        async with limit:
            await read_tables(client, found, target.port, target.auth, target.timeout_s)
        return found

    try:
        return list(await asyncio.gather(*(read(n) for n in targets if live.owns(n))))
    finally:
        await client.close()


JUDGE_S = 2.0  # how often the services this collector holds are judged from the votes


async def watch_services(service: Service, stop: asyncio.Event) -> None:
    """Check the services from here and store the ballots; every JUDGE_S, judge those this
    collector holds (in a fleet, with the device they run on) from every vantage point's last
    vote, so another vantage point's vote counts within seconds of its arrival."""
    watcher = service.watcher
    if watcher is None:
        return
    engine, live = service.writer.engine, service.poller.live
    known: dict[str, dict[str, Vote]] = {}  # the last votes: read from the store, and our own

    async def hand_on(ballots: list[Ballot]) -> None:
        for b in ballots:
            known.setdefault(b.service, {})[b.vote.vantage] = b.vote
        try:
            await asyncio.to_thread(service_votes.write, engine, ballots)
        except Exception as exc:  # the store away: judged with what is known
            log.debug("service votes not stored: %s", redact.first_line(exc))

    async def judging() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), JUDGE_S)
            mine = [n for n in watcher.services if live.owns(service_key(n))]
            if not mine:
                continue
            try:
                for b in await asyncio.to_thread(service_votes.read, engine, mine):
                    votes = known.setdefault(b.service, {})
                    if b.vote.vantage not in votes or votes[b.vote.vantage].at <= b.vote.at:
                        votes[b.vote.vantage] = b.vote
            except Exception as exc:  # the store away: judged with what is known
                log.debug("service votes not read: %s", redact.first_line(exc))
            now = time.time()
            for name in mine:
                found = judge(
                    list(known.get(name, {}).values()), now, watcher.services[name].interval_s
                )
                service.judgements[name] = found
                if found.up is None:
                    continue
                with live.lock:  # (see LiveState.lock)
                    if live.owns(service_key(name)):
                        service.poller.sink.emit(
                            live.fold_service(name, now, found.up, found.reason)
                        )

    judge_task = asyncio.create_task(judging())
    try:
        await watcher.run(stop, hand_on)
    finally:
        await asyncio.gather(judge_task, return_exceptions=True)


async def refresh_windows(service: Service, stop: asyncio.Event, every_s: float = 10.0) -> None:
    """Keep the collector's run-time maintenance windows current (the store may be down): read
    every 10 s, or every poll of the fastest tier where that is sooner."""
    while not stop.is_set():
        try:
            service.poller.live.stored_windows = await asyncio.to_thread(
                list_windows, service.writer.engine
            )
        except Exception as exc:  # no windows from a store that does not answer: keep the last
            log.debug("maintenance windows not refreshed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
