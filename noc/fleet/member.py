"""One collector of the fleet: every `lease_s / 4` it renews what it holds, takes free poll
domains up to its share, and hands back (gradually) what is above it.

- A domain taken after its owner died starts from what the store says: the crash gap is
  recorded as UNKNOWN from the old owner's last renewal, its open incidents are adopted, its
  hysteresis comes from the snapshot in the lease row. A domain handed back in order (a
  rebalance, a clean stop) carries on with no gap.
- A domain lost (its lease taken over while this collector was stopped or cut off) is dropped
  at once: nothing more is polled, and what waits to be written for it is fenced out by the
  writer. It is not taken back before the writer has flushed past the loss.
- While the store does not answer, nothing is taken and nothing is dropped: what is held is
  polled and buffered as always.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from noc import redact
from noc.dr.policy import Vantage
from noc.dr.probe import sees_primary
from noc.polling.availability import Incident, State, Verdict
from noc.polling.domains import entity_domains, pick, plan, restore, snapshot
from noc.polling.events import link_key
from noc.polling.poller import Poller
from noc.polling.scheduler import Scheduler
from noc.store.leases import (
    Holder,
    Instance,
    LeaseFence,
    NameInUse,
    Round,
    Taken,
    claim_name,
    fleet_round,
    force_name,
    leave,
)
from noc.store.recovery import crash_gap, read_store
from noc.store.writer import StoreWriter

log = logging.getLogger(__name__)

HANDOVER_REASON = "collector {owner} lost its lease"
EVERYTHING = 10**9  # devices' worth: every domain held


def new_instance() -> Instance:
    return Instance(str(uuid.uuid4()), socket.gethostname()[:255], os.getpid())


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


@dataclass
class Member:
    name: str
    site: str
    url: str
    engine: Engine
    poller: Poller
    scheduler: Scheduler
    writer: StoreWriter
    lease_s: float
    held: dict[str, int] = field(default_factory=dict)  # domain -> epoch
    draining: dict[str, tuple[float, str]] = field(default_factory=dict)  # since, snapshot
    lost_at: dict[str, float] = field(default_factory=dict)
    store_up: bool = True
    sees_primary: bool | None = None  # this collector's own view of the primary site
    views: dict[str, bool | None] = field(default_factory=dict)  # the fleet's, last round
    free: int = 0  # domains no live collector held, as of the last round that reached the store
    round_error: str | None = None  # why the last round failed (None: it did not)
    instance: Instance = field(default_factory=new_instance)
    joined: bool = False  # the name is this instance's (join)
    max_offset_s: float = 5.0  # a clock further than this from the store's writes nothing
    clock_offset_s: float | None = None  # this host's clock minus the store's, last round

    def __post_init__(self) -> None:
        self.domain_of = entity_domains(self.poller.inv)
        self.members: dict[str, set[str]] = {}
        for entity, domain in self.domain_of.items():
            self.members.setdefault(domain, set()).add(entity)
        # Every domain with its number of devices: the load balanced over the fleet.
        self.domains = {
            d: sum(1 for e in entities if e in self.poller.devices)
            for d, entities in sorted(self.members.items())
        }
        self.fence = LeaseFence(self.name, self.domain_of)
        self.writer.fence, self.writer.collector = self.fence, self.name
        self.poller.live.owned = set()  # nothing until the first round
        inv = self.poller.inv
        dr = inv.dr
        self.primary = [d.name for d in inv.devices if dr and d.site == dr.primary_site]
        # What the DR checks ask about, read from the store when another collector polls it.
        self.watched: set[str] = set(self.primary)
        if dr is not None:
            self.watched |= {d.name for d in inv.devices if d.site == dr.dr_site}
            self.watched |= {link_key(name) for name in dr.links}

    async def join(self, wait_s: float | None = None) -> None:
        """Take this collector's name for this run, or raise NameInUse naming the other's site
        and address: a second live collector under one name would poll everything twice.

        The name is free when nobody was heard from under it within the lease, or stopped
        cleanly. A previous run on this host whose process is gone (a crash, a kill -9) is
        dead at once; one on another host is waited for, up to a lease: if its heartbeat
        moves on, it lives."""
        if self.joined:
            return
        wait_s = self.lease_s if wait_s is None else wait_s
        first: Holder | None = None
        said = False
        deadline = time.monotonic() + wait_s
        while True:
            try:
                await asyncio.to_thread(self.writer.prepare_now)  # the store's tables, first
                other = await asyncio.to_thread(
                    claim_name,
                    self.engine,
                    self.name,
                    self.instance,
                    self.site,
                    self.url,
                    self.lease_s,
                )
            except (SQLAlchemyError, OSError) as exc:  # a fleet starts with its store
                if not said:
                    log.warning(
                        "fleet: the store does not answer (%s); waiting for it before polling",
                        redact.first_line(exc),
                    )
                    said = True
                await asyncio.sleep(2.0)
                deadline = time.monotonic() + wait_s
                continue
            if other is None:
                self.joined = True
                return
            here = other.host == self.instance.host and other.pid not in (None, os.getpid())
            if here and other.pid is not None and not _process_alive(other.pid):
                log.info(
                    "fleet: the previous run of %s (pid %d) is gone; taking its name",
                    self.name,
                    other.pid,
                )
                await asyncio.to_thread(force_name, self.engine, self.name, other.instance)
                continue
            moved = first is not None and other.heartbeat > first.heartbeat
            if here or moved or time.monotonic() >= deadline:
                where = f"pid {other.pid} on {other.host}" if other.host else "another host"
                raise NameInUse(
                    f"collector name {self.name} is in use by a live collector at site "
                    f"{other.site} ({other.url or 'no address'}, {where}, heard from "
                    f"{other.now - other.heartbeat:.0f} s ago): give this one another --name"
                )
            if first is None:
                first = other
                log.warning(
                    "fleet: %s was heard from %.0f s ago at site %s (%s); waiting to "
                    "see whether it lives",
                    self.name,
                    other.now - other.heartbeat,
                    other.site,
                    other.url,
                )
            await asyncio.sleep(min(1.0, self.lease_s / 8))

    async def run(self, stop: asyncio.Event) -> None:
        """A round every `lease_s / 4` until `stop`. A round that fails is said and tried
        again: the loop that keeps the leases must outlive any one round. Another collector
        taking this one's name ends it (NameInUse)."""
        while not stop.is_set():
            try:
                await self.step()
            except NameInUse:
                raise
            except (SQLAlchemyError, OSError) as exc:
                log.warning(
                    "fleet: round cut short by the store (%s); trying again", redact.first_line(exc)
                )
            except Exception:
                log.exception("fleet: round failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.lease_s / 4)

    async def step(self) -> Round | None:
        live = self.poller.live
        # A drained domain is no longer judged here: its lease keeps the snapshot taken when
        # it stopped being polled, not an empty one.
        snaps = {
            d: self.draining[d][1]
            if d in self.draining
            else snapshot(live.healths, live.verdicts, self.members[d])
            for d in self.held
        }
        synced = self.writer.synced_at
        release = {
            d: snap
            for d, (since, snap) in self.draining.items()
            if synced is not None and synced > since
        }
        not_now = frozenset(
            d for d, at in self.lost_at.items() if synced is None or synced <= at
        ) | frozenset(self.draining)
        if self.writer.clock_refused is not None:  # a clock off takes nothing
            not_now = frozenset(self.domains)
        if self.primary:  # a light probe of the primary site: this collector as a vantage point
            seen = await sees_primary(self.poller.client, self.poller.targets, self.primary)
            self.sees_primary = any(seen.values())
        try:
            await asyncio.to_thread(self.writer.prepare_now)
            before = time.time()
            rnd = await asyncio.to_thread(
                fleet_round,
                self.engine,
                self.name,
                self.site,
                self.url,
                self.lease_s,
                self.domains,
                dict(self.held),
                snaps,
                release,
                plan,
                not_now,
                self.sees_primary,
                self.instance.id,
            )
            # The store's clock, read mid-round, against this host's around the round.
            offset = (before + time.time()) / 2 - rnd.now
            taken = await asyncio.to_thread(self._read_taken, rnd.taken)
        except NameInUse:
            with live.lock:  # another run has the name: nothing more is polled here
                for domain in self.held:
                    live.drop(self.members[domain])
            self.held = {}
            self.fence.epochs = {}
            raise
        except Exception as exc:  # the store away: keep polling what is held, take nothing
            if self.store_up:
                log.warning(
                    "fleet: store not reachable (%s); polling the %d domains held",
                    redact.first_line(exc),
                    len(self.held),
                )
            elif self.round_error != redact.first_line(exc):
                log.warning("fleet: lease round failed (%s)", redact.first_line(exc))
            self.round_error = redact.first_line(exc)
            self.store_up = False
            self.views = {}  # the others' views are unknown from here
            return None
        self.store_up = True
        self.round_error = None
        self._check_clock(offset)
        self.free = rnd.free
        self.views = dict(rnd.views)
        for domain in release:
            self.draining.pop(domain, None)
        for domain in rnd.lost:
            log.warning("fleet: lost %s to another collector; stopped polling it", domain)
            with live.lock:
                live.drop(self.members[domain])
            self.draining.pop(domain, None)
            self.lost_at[domain] = self.writer.clock()
        self.held = dict(rnd.held)
        self.fence.epochs = dict(self.held)
        for item, (states, incidents) in zip(rnd.taken, taken, strict=True):
            self._take(item, states, incidents)
            self.lost_at.pop(item.domain, None)
        self._drain(EVERYTHING if self.writer.clock_refused else rnd.moves.release)
        await self._refresh_foreign()
        return rnd

    def _check_clock(self, offset: float) -> None:
        """Events are dated by this host's clock, leases by the store's. A clock further off
        than `max_offset_s` would date rows wrongly (an incident taken over and closed before
        it began): then nothing it dates is written, every domain is handed back and none
        taken, until the clock is right again."""
        self.clock_offset_s = offset
        off = abs(offset) > self.max_offset_s
        was = self.writer.clock_refused
        if off:
            self.writer.clock_refused = (
                f"{offset:+.1f} s from the store's clock, more than {self.max_offset_s:g} s"
            )
            if was is None:
                log.error(
                    "fleet: this host's clock is %s; writing nothing dated by it and "
                    "handing every poll domain back until it is set right",
                    self.writer.clock_refused,
                )
        elif was is not None:
            self.writer.clock_refused = None
            log.warning(
                "fleet: this host's clock is right again (%+.1f s from the store's); "
                "taking poll domains again",
                offset,
            )

    def _read_taken(
        self, taken: list[Taken]
    ) -> list[tuple[dict[str, tuple[State, float]], list[Incident]]]:
        out = []
        for item in taken:
            states, incidents, _ = read_store(self.engine, self.members[item.domain])
            out.append((states, incidents))
        return out

    def _take(
        self, item: Taken, states: dict[str, tuple[State, float]], incidents: list[Incident]
    ) -> None:
        entities = self.members[item.domain]
        healths, verdicts = restore(item.snapshot)
        markers = []
        if item.previous_owner is not None and not item.released:
            # Its owner (another collector, or this one's previous run) died or was cut off:
            # nobody saw these from its last renewal on.
            reason = HANDOVER_REASON.format(owner=item.previous_owner)
            markers = [replace(m, reason=reason) for m in crash_gap(states, item.renewed)]
            verdicts = {}
        last_change = {e: at for e, (_, at) in states.items()}
        last_change.update({m.entity: m.at for m in markers})
        if markers:
            self.writer.emit(markers)
        with self.poller.live.lock:
            self.poller.live.take(entities, healths, verdicts, incidents, last_change)
        devices = [e for e in entities if e in self.poller.devices]
        self.scheduler.poll_soon(devices)
        how = "handed back" if item.released else "lease ran out"
        log.info(
            "fleet: took %s (epoch %d) from %s (%s)",
            item.domain,
            item.epoch,
            item.previous_owner or "nobody",
            how,
        )

    def _drain(self, devices: int) -> None:
        """Stop polling about `devices` devices' worth of held domains; hand them back once
        what they wrote is flushed."""
        candidates = [
            (d, self.domains[d]) for d in sorted(self.held, reverse=True) if d not in self.draining
        ]
        live = self.poller.live
        for domain in pick(candidates, devices):
            snap = snapshot(live.healths, live.verdicts, self.members[domain])
            self.draining[domain] = (self.writer.clock(), snap)
            with live.lock:
                live.drop(self.members[domain])
            log.info("fleet: handing %s back (above this collector's share)", domain)

    @property
    def starved(self) -> str | None:
        """Why this collector polls nothing while there is work (None when it polls, or when
        every domain is another's): its lease rounds fail, or domains lie free."""
        if self.held:
            return None
        if self.round_error is not None:
            return f"holds no poll domain: its lease rounds fail ({self.round_error})"
        if self.free:
            return f"holds no poll domain while {self.free} are free"
        return None

    def vantages(self) -> list[Vantage]:
        """The fleet as the DR failover quorum: every live collector's view of the primary as of
        the last round (none when this collector cannot reach the store), and its own now."""
        views = {**self.views, self.name: self.sees_primary}
        return [Vantage(name, seen) for name, seen in sorted(views.items())]

    async def _refresh_foreign(self) -> None:
        """The stored verdicts of what others judge that this collector needs: ancestors of
        its own (a core router another collector polls, so UNREACHABLE behind it is decided
        here) and what the DR checks ask about."""
        live = self.poller.live
        ancestors = live.ancestors_elsewhere() | {e for e in self.watched if not live.owns(e)}
        if not ancestors:
            return
        try:
            states, _, _ = await asyncio.to_thread(read_store, self.engine, ancestors)
        except (SQLAlchemyError, OSError) as exc:
            # e.g. its connection ended by the server while this collector was paused inside
            # the read: the verdicts read last round stand until the next.
            log.info("fleet: others' verdicts not read this round (%s)", redact.first_line(exc))
            return
        with live.lock:
            live.foreign({e: Verdict(state, since=at) for e, (state, at) in states.items()})

    async def leave(self) -> None:
        """A clean stop, after the last flush: every domain handed back at once."""
        live = self.poller.live
        snaps = {d: snapshot(live.healths, live.verdicts, self.members[d]) for d in self.held}
        try:
            await asyncio.to_thread(
                leave, self.engine, self.name, dict(self.held), snaps, self.instance.id
            )
        except Exception as exc:
            log.warning(
                "fleet: could not hand back the domains held (%s); they are taken "
                "when their leases run out",
                redact.first_line(exc),
            )
