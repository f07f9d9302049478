"""Backups on a schedule inside `noc serve`. A device is due its tier's `backup_interval_s`
after its last attempt (a failed one too: it is tried again at its next turn, never in a
loop), or at once when something asked for it (a `changed by` line in its syslog). After each
run its compliance is checked again. `due` is pure; `run_schedule` is the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noc import redact
from noc.config.backup import ConfigStore, Outcome, backup
from noc.config.compliance import FILENAME, Rule, RulesError, Violation, check, load_rules
from noc.config.models import model_for
from noc.inventory import Inventory
from noc.inventory.model import Device

log = logging.getLogger(__name__)


def due(
    devices: Sequence[Device],
    last: Mapping[str, Mapping[str, Any]],
    now: float,
    interval_of: Callable[[Device], float],
    wanted: set[str] | None = None,
) -> list[Device]:
    """The devices whose backup is due at `now` (`last`: each one's last outcome)."""
    out = []
    for d in devices:
        at = (last.get(d.name) or {}).get("at")
        if (wanted and d.name in wanted) or at is None or now - float(at) >= interval_of(d):
            out.append(d)
    return out


@dataclass
class ConfigState:
    """What /metrics shows of the backups: each device's last outcome (as kept in the status
    file) and its compliance, one entry per rule that applies to it."""

    last: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: dict[str, dict[str, bool]] = field(default_factory=dict)  # device -> rule -> holds
    wanted: set[str] = field(default_factory=set)  # to back up at the next tick
    # Who a syslog line or a trap says changed a device (when its own text does not say).
    authors: dict[str, str] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def want(self, device: str) -> None:
        """Back `device` up now (called from the event loop's thread)."""
        self.wanted.add(device)
        self.wake.set()

    def changed_by(self, device: str, author: str | None) -> None:
        """A syslog line or a trap says `device` was changed (by `author`): back it up now,
        with that author when the device's own text does not name one."""
        if author:
            self.authors[device] = author
        self.want(device)


def compliance(
    inv: Inventory, store: ConfigStore, rules: list[Rule], names: Sequence[str]
) -> dict[str, dict[str, bool]]:
    """Each named device's rules that apply to it, and whether each holds on its kept text."""
    out: dict[str, dict[str, bool]] = {}
    for name in names:
        device = inv.device(name)
        text = store.history.current(name)
        if text is None:
            continue
        kind = model_for(device.netmiko_device_type).name
        applies = [r for r in rules if not r.types or kind in r.types]
        broken: list[Violation] = check(name, kind, text, applies, store.key)
        failing = {v.rule for v in broken}
        out[name] = {r.id: r.id not in failing for r in applies}
    return out


def violations(
    inv: Inventory, store: ConfigStore, rules: list[Rule], names: Sequence[str]
) -> tuple[list[Violation], list[str]]:
    """Every violation in the named devices' kept configurations, and the devices that have
    none kept yet (not checked)."""
    found: list[Violation] = []
    unchecked = []
    for name in names:
        text = store.history.current(name)
        if text is None:
            unchecked.append(name)
            continue
        kind = model_for(inv.device(name).netmiko_device_type).name
        found += check(name, kind, text, rules, store.key)
    return found, unchecked


def rules_for(inventory: Path) -> list[Rule]:
    try:
        return load_rules(inventory.parent / FILENAME)
    except RulesError as exc:
        log.warning("compliance not checked: %s", exc)
        return []


async def run_schedule(
    inv: Inventory,
    store: ConfigStore,
    state: ConfigState,
    stop: asyncio.Event,
    inventory: Path,
    announce: Callable[[list[Outcome]], None],
    mine: Callable[[str], bool] = lambda _: True,
    tick_s: float = 30.0,
    concurrency: int = 8,
    deadline_s: float = 60.0,
    clock: Callable[[], float] = time.time,
    environ: dict[str, str] | None = None,
) -> None:
    """Back up what is due, every `tick_s` or when woken, until `stop`. `mine`: whether this
    collector polls the device (in a fleet, each device is backed up by its holder)."""
    devices = [d for d in inv.devices if d.ssh is not None]
    if not devices:
        return
    state.last = store.last()
    rules = rules_for(inventory)
    state.rules = await asyncio.to_thread(compliance, inv, store, rules, [d.name for d in devices])

    def interval_of(d: Device) -> float:
        return float(inv.tiers[d.tier].backup_interval_s)

    while not stop.is_set():
        state.wake.clear()
        wanted, state.wanted = state.wanted, set()
        ours = [d for d in devices if mine(d.name)]
        chosen = due(ours, state.last, clock(), interval_of, wanted)
        if chosen:
            given = {d.name: state.authors[d.name] for d in chosen if d.name in state.authors}
            try:
                outcomes = await backup(
                    inv,
                    chosen,
                    store,
                    concurrency=concurrency,
                    deadline_s=deadline_s,
                    environ=environ,
                    authors=given,
                )
                for o in outcomes:  # used: forgotten, unless a newer line came meanwhile
                    if o.device in given and state.authors.get(o.device) == given[o.device]:
                        del state.authors[o.device]
                state.last = store.last()
                done = [o.device for o in outcomes if o.status != "failed"]
                state.rules |= await asyncio.to_thread(compliance, inv, store, rules, done)
                # A first backup is not a change: only a text that had one before is told.
                changed = [o for o in outcomes if o.status == "changed" and o.changes]
                if changed:
                    await asyncio.to_thread(announce, changed)
            except Exception as exc:  # a run that fails must not end the collector
                log.warning("configuration backup: %s", redact.first_line(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_either(stop, state.wake), timeout=tick_s)


async def _either(a: asyncio.Event, b: asyncio.Event) -> None:
    waits = [asyncio.create_task(a.wait()), asyncio.create_task(b.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
