"""The wall screen's server side: one document built every `every_s` from the collector's
live state, serialised once, and pushed to every connected screen over Server-Sent Events.

However many screens are open, the cost is one build and one `json.dumps` per refresh; a
screen that is up to date gets a small tick instead. The uplink's last 24 h come from the
store's five-minute rollups at start and from the live rates after that, so the chart keeps
going while the store is away. Acknowledgements come from Alertmanager when the inventory
names one; when it does not answer, the last known ones stay. Each problem card carries the
last traps and syslog lines of the device at fault and of its parent, read from the event log
every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from noc.alerts.silences import AlertmanagerError, alerts
from noc.dr.readiness import DrReport, explain
from noc.events import log as event_log
from noc.exporter.health import PollStats, StoreHealth
from noc.polling.events import link_key, service_key
from noc.polling.livestate import LiveState, Snapshot
from noc.polling.rollup import BUCKET_S
from noc.store.models import ApiTokenRow, RollupRow
from noc.wall.view import Health, LinkLoad, Said, Speaker, build, said_about

log = logging.getLogger(__name__)
DAY_S = 86_400
REVOKED_EVERY_S = 3.0
MAX_STREAMS = 64  # open wall streams at once
TRIM_EVERY_S = 5.0
SAID_EVERY_S = 5.0
SAID_READ = 50  # a device's newest lines read, of which those about the problem are shown


def give_back_memory() -> None:
    """What ended streams left in reference cycles collected, then glibc's malloc_trim: free
    memory at the top and in the middle of the heap returned to the system (a no-op where
    there is no glibc)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _entity(problem: dict[str, Any]) -> str:
    name = str(problem["entity"])
    if problem["kind"] == "service":
        return service_key(name)
    return link_key(name) if problem["kind"] == "link" else name


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


class WallHub:
    def __init__(
        self,
        live: LiveState,
        stats: PollStats | None,
        writer: StoreHealth | None,
        dr: Callable[[], DrReport | None] | None,
        engine: Engine | None,
        every_s: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.live, self.stats, self.writer, self.dr = live, stats, writer, dr
        self.engine = engine
        self.every_s = every_s
        self.clock = clock
        inv = live.inv
        self.uplink = inv.uplink
        self.measured = sorted({ln.a.device for ln in inv.links})  # the links' measuring ends
        self.interval_s = inv.fastest_poll_s
        self.history: dict[float, list[float]] = {}  # bucket start -> [sum in, sum out, n]
        self._last_sample: float | None = None
        self.acked: dict[str, str] = {}
        self.said: dict[str, list[Said]] = {}  # the last lines of devices with a problem
        # The sites filling the uplink now (site, in bit/s, out bit/s), from the flows.
        self.talkers: Callable[[float], list[tuple[str, float, float]]] | None = None
        self._speakers: dict[str, list[Speaker]] = {}  # whose lines each problem shows
        self.version = 0
        self.body = b""
        self._stable = b""
        self.builds = 0
        self.streams = 0  # open event streams
        self.refused_streams = 0
        self._trimmed = 0.0
        self._trim_due = False
        self.revocations = 0  # moves on whenever a token is revoked: open streams re-check
        self.on_revoked: list[Callable[[], None]] = []  # e.g. the API's cache of tokens
        self._revoked_mark: tuple[int, float] | None = None
        self._changed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    # --- inputs ----------------------------------------------------------------------------

    def seed_history(self, now: float) -> None:
        """The uplink's rollups of the last 24 h from the store (best effort)."""
        if self.uplink is None or self.engine is None:
            return
        query = select(RollupRow).where(
            RollupRow.kind == "link",
            RollupRow.name == self.uplink.name,
            RollupRow.bucket_start >= now - DAY_S,
        )
        with Session(self.engine) as session:
            for row in session.scalars(query):
                n = float(row.samples)
                self.history.setdefault(
                    row.bucket_start, [row.in_avg_bps * n, row.out_avg_bps * n, n]
                )

    def _track_uplink(self, now: float, snap: Snapshot) -> None:
        ln = self.uplink
        if ln is None:
            return
        iface = snap.interface(ln.a.device, ln.a.interface)
        at = snap.sampled_at.get(ln.a.device)
        if (
            iface is not None
            and at is not None
            and at != self._last_sample
            and iface.in_bps is not None
            and iface.out_bps is not None
        ):
            self._last_sample = at
            bucket = self.history.setdefault(at - at % BUCKET_S, [0.0, 0.0, 0.0])
            bucket[0] += iface.in_bps
            bucket[1] += iface.out_bps
            bucket[2] += 1
        for start in [s for s in self.history if s < now - DAY_S]:
            del self.history[start]

    def _loads(self, snap: Snapshot) -> dict[str, LinkLoad]:
        out = {}
        for ln in self.live.inv.links:
            iface = snap.interface(ln.a.device, ln.a.interface)
            if iface is None or ln.a.device not in snap.sampled_at:
                continue
            # Whole percent and 10 kbit/s: finer changes nobody reads from across the room
            # would make every refresh a new document.
            out[ln.name] = LinkLoad(
                _round(iface.in_bps, -4), _round(iface.out_bps, -4), _round(iface.utilisation, 2)
            )
        return out

    def _health(self, now: float) -> Health:
        s, w = self.stats, self.writer
        return Health(
            last_poll_at=s.last_poll_at if s else None,
            last_success_at=s.last_success_at if s else None,
            polls=s.polls if s else 0,
            failures=s.failures if s else 0,
            late=s.late if s else 0,
            store_ok=w.healthy() if w else True,
            pending_events=w.pending if w else 0,
            oldest_pending_s=w.oldest_pending_s() if w else 0.0,
            interval_s=self.interval_s,
        )

    # --- the document ----------------------------------------------------------------------

    def refresh(self, now: float | None = None) -> bool:
        """Build the document; True when it changed (then `version` moves on)."""
        now = self.clock() if now is None else now
        # One moment of the live state (the polls run on another thread): the verdicts and
        # the interfaces at the links' measuring ends.
        snap = self.live.snapshot(self.measured)
        self._track_uplink(now, snap)
        report = self.dr() if self.dr is not None else None
        dr = None
        if report is not None:  # the reason in each language a screen may show
            reason = {lang: explain(report, lang) for lang in ("id", "en")}
            dr = (report.readiness.value, reason, report.at)
        history = [
            (start, b[0] / b[2], b[1] / b[2]) for start, b in sorted(self.history.items()) if b[2]
        ]
        doc = build(
            self.live.inv,
            snap.verdicts,
            snap.since,
            self._loads(snap),
            history,
            dr,
            self._health(now),
            self.acked,
            now,
            self.said,
            self._speakers,
            self.talkers(now) if self.talkers is not None else (),
        )
        self._speakers = {
            entity: self._indexed(said_about(self.live.inv, entity))
            for entity in (_entity(p) for p in doc["problems"])
        }
        self.builds += 1
        at = doc.pop("at")
        stable = json.dumps(doc, separators=(",", ":")).encode()
        if stable == self._stable:
            return False
        self._stable = stable
        self.body = stable[:-1] + b',"at":' + json.dumps(at).encode() + b"}"
        self.version += 1
        self._wake()
        return True

    def tick(self) -> bytes:
        return json.dumps({"at": self.clock(), "version": self.version}).encode()

    # --- running ---------------------------------------------------------------------------

    def ensure_started(self) -> None:
        """Start refreshing on the running loop (the HTTP server's), once."""
        if self._task is not None and not self._task.done():
            return
        self._changed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run())

    def open_stream(self) -> bool:
        """A place for one more screen's stream; False when MAX_STREAMS are open (a NOC has
        a few screens; a thousand clients that never read would otherwise hold memory)."""
        if self.streams >= MAX_STREAMS:
            self.refused_streams += 1
            return False
        self.streams += 1
        return True

    def close_stream(self) -> None:
        """A stream ended: once a while after streams end, the memory they held is handed
        back to the system (glibc keeps freed memory otherwise, and the RSS never falls)."""
        self.streams -= 1
        self._trim_due = True  # done by the refresh loop, once the others have ended too

    def revoked(self) -> None:
        """A token was revoked: every open stream checks its own at once (callable from any
        thread)."""
        self.revocations += 1
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait_change(self, version: int, timeout: float, revocations: int = -1) -> None:
        if self.version != version or self._changed is None:
            return
        if revocations >= 0 and self.revocations != revocations:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def _run(self) -> None:
        try:
            await asyncio.wait_for(asyncio.to_thread(self.seed_history, self.clock()), 10)
        except Exception as exc:  # the store may be away: the live rates fill the chart
            log.info("wall: no uplink history from the store (%s)", type(exc).__name__)
        acks_at = revoked_at = said_at = 0.0
        while True:
            now = self.clock()
            if now - said_at >= SAID_EVERY_S:
                said_at = now
                await self._refresh_said()
            if now - acks_at >= 15:
                acks_at = now
                await self._refresh_acks()
            if now - revoked_at >= REVOKED_EVERY_S:
                revoked_at = now
                await self._watch_revocations()
            if self._trim_due and time.monotonic() - self._trimmed >= TRIM_EVERY_S:
                self._trim_due, self._trimmed = False, time.monotonic()
                give_back_memory()
            try:
                self.refresh(now)
            except Exception:  # the wall must never stop updating over one bad build
                log.exception("wall: building the view failed")
            await asyncio.sleep(self.every_s)

    async def _watch_revocations(self) -> None:
        """Tokens revoked from another process (`noc token revoke`) seen within seconds: the
        number revoked and the latest revocation, read from the store."""
        if self.engine is None:
            return
        query = select(func.count(ApiTokenRow.revoked), func.max(ApiTokenRow.revoked))
        try:
            count, latest = await asyncio.wait_for(asyncio.to_thread(self._read, query), 5)
        except Exception:  # the store away: the streams' own checks stand
            return
        mark = (int(count), float(latest or 0.0))
        if self._revoked_mark is not None and mark != self._revoked_mark:
            for forget in self.on_revoked:
                forget()
            self.revocations += 1
            self._wake()
        self._revoked_mark = mark

    def _read(self, query: Any) -> Any:
        assert self.engine is not None
        with Session(self.engine) as session:
            return session.execute(query).one()

    def _indexed(self, speakers: list[Speaker]) -> list[Speaker]:
        """Each speaker's port with its ifIndex from the last poll (traps name ports by it)."""
        out = []
        for sp in speakers:
            index = None
            entry = self.live.devices.get(sp.device)
            cache = entry.details if entry is not None else None
            if sp.port is not None and cache is not None:
                with contextlib.suppress(RuntimeError):  # the poll's thread replacing it
                    found = [i for i, d in list(cache.details.items()) if d.name == sp.port]
                    index = found[0] if found else None
            out.append(Speaker(sp.device, sp.port, index))
        return out

    async def _refresh_said(self) -> None:
        """The last lines of the devices the problem cards speak of (the store away: none)."""
        speakers = sorted({sp.device for sps in self._speakers.values() for sp in sps})
        if self.engine is None or not speakers:
            self.said = {}
            return
        engine = self.engine

        def read() -> dict[str, list[Said]]:
            out = {}
            for device in speakers:
                rows = event_log.read(engine, devices=[device], limit=SAID_READ)
                out[device] = [Said(r.at, device, r.text) for r in rows]
            return out

        try:
            self.said = await asyncio.wait_for(asyncio.to_thread(read), 5)
        except Exception:  # the store away: the cards go on without the lines
            self.said = {}

    async def _refresh_acks(self) -> None:
        alerting = self.live.inv.alerting
        if alerting is None:
            return
        try:
            views = await asyncio.to_thread(alerts, alerting.alertmanager_url)
        except AlertmanagerError:
            return
        self.acked = {
            v.group: f"{v.by}: {v.comment}" if v.by and v.comment else v.by or ""
            for v in views
            if v.state == "acknowledged"
        }
