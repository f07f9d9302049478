"""What the NOC wall screen shows, as one JSON-able document: pure, `now` passed in.

The browser draws; this decides. States, root causes and counts come from the collector's
verdicts, utilisation from the live interface rates against each link's contract, the uplink
history from five-minute rollups. Nothing here formats for people: the page does that in
Bahasa Indonesia or English, in WIB.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from noc.inventory import Inventory
from noc.polling.availability import PROBLEM, State, Verdict
from noc.polling.events import SERVICE_PREFIX, is_link, is_service, link_key, link_name, service_key

# Worst first: a site's marker takes the colour of its worst device.
SEVERITY = {
    State.DOWN: 0,
    State.UNREACHABLE: 1,
    State.FLAPPING: 2,
    State.MAINTENANCE: 3,
    State.UNKNOWN: 4,
    State.UP: 5,
}


@dataclass(frozen=True)
class LinkLoad:
    """A link's live load at its `a` end: bit/s each way and the share of its contract."""

    in_bps: float | None
    out_bps: float | None
    utilisation: float | None


@dataclass(frozen=True)
class Health:
    """The collector's own health, as the wall reports it."""

    last_poll_at: float | None
    last_success_at: float | None
    polls: int
    failures: int
    late: int
    store_ok: bool
    pending_events: int
    oldest_pending_s: float
    interval_s: float


@dataclass(frozen=True)
class Said:
    """One trap or syslog line, as the event log keeps it."""

    at: float
    device: str
    text: str


SAID_LINES = 3  # on each problem card
SAID_CHARS = 120
SAID_BEFORE_S = 900  # lines from before the problem began count if this recent


@dataclass(frozen=True)
class Speaker:
    """A device whose lines a problem card shows; with `port`, only its lines about that port
    (a core router speaks of every BTS: the card of one shows what it said of that one)."""

    device: str
    port: str | None = None
    index: int | None = None  # the port's ifIndex, when the last poll knows it


TALKERS = 5  # sites on the "Pemakai terbesar" tile
TALKERS_ABOVE = 0.8  # shown while the uplink is at least this full


def said_about(inv: Inventory, entity: str) -> list[Speaker]:
    """Whose lines a problem card shows: the device and, about the port toward it, its
    parent; or a link's two ends, about their ports."""
    if is_link(entity):
        link = next((ln for ln in inv.links if ln.name == link_name(entity)), None)
        if link is None:
            return []
        ends = [link.a] + ([link.b] if link.b is not None else [])
        return [Speaker(e.device, e.interface) for e in ends]
    if is_service(entity):  # what the server it runs on said
        svc = next((s for s in inv.services if service_key(s.name) == entity), None)
        return [Speaker(svc.runs_on[0])] if svc is not None and svc.runs_on else []
    device = inv.devices_by_name.get(entity)
    if device is None:
        return []
    speakers = [Speaker(device.name)]
    if device.parent:
        port = device.name  # no link between them: lines that name the device
        for ln in inv.links:
            if ln.b is None:
                continue
            for near, far in ((ln.a, ln.b), (ln.b, ln.a)):
                if near.device == device.parent and far.device == device.name:
                    port = near.interface
        speakers.append(Speaker(device.parent, port))
    return speakers


def speaks_of(text: str, speaker: Speaker) -> bool:
    """Whether a line is about the speaker's port: its name as a word, or its ifIndex."""
    if speaker.port is None:
        return True
    if re.search(rf"(?<![\w-]){re.escape(speaker.port)}(?![\w-])", text, re.IGNORECASE):
        return True
    return speaker.index is not None and re.search(rf"\.{speaker.index}=", text) is not None


def last_words(
    speakers: Sequence[Speaker], said: Mapping[str, Sequence[Said]], began: float | None
) -> list[dict[str, Any]]:
    """The newest lines the device at fault and its parent (a link's ends) sent about it
    around the problem, newest first: what a technician reads before opening a terminal."""
    lines = [s for sp in speakers for s in said.get(sp.device, ()) if speaks_of(s.text, sp)]
    if began is not None:
        lines = [s for s in lines if s.at >= began - SAID_BEFORE_S]
    lines.sort(key=lambda s: -s.at)
    return [
        {"at": s.at, "device": s.device, "text": s.text[:SAID_CHARS]} for s in lines[:SAID_LINES]
    ]


def schematic_rows(inv: Inventory) -> list[dict[str, Any]]:
    """The dependency tree as rows for the schematic view: every device that has devices
    behind it (or hangs from nothing) has a row at its depth, in tree order (by name); the
    leaves behind it (offices under their BTS) sit in its row. The same inventory gives the
    same rows on every screen."""
    children: dict[str | None, list[str]] = {}
    known = set(inv.devices_by_name)
    for d in inv.devices:
        parent = d.parent if d.parent in known else None
        children.setdefault(parent, []).append(d.name)
    for names in children.values():
        names.sort(key=_natural)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(name: str, depth: int) -> None:
        if name in seen:  # a cycle is refused by the inventory's check; never loop anyway
            return
        seen.add(name)
        below = children.get(name, [])
        leaves = [c for c in below if not children.get(c)]
        rows.append({"node": name, "depth": depth, "chips": leaves if depth > 0 else []})
        for child in below:
            if children.get(child) or depth == 0:
                visit(child, depth + 1)

    for root in children.get(None, []):
        visit(root, 0)
    return rows


def _natural(name: str) -> tuple[str, int, str]:
    """kel-2 before kel-10."""
    found = re.match(r"(.*?)(\d+)$", name)
    if found is None or not found.group(2).isascii():
        return (name, 0, "")
    return (found.group(1), int(found.group(2)), name)


def _key(entity: str) -> str:
    return link_name(entity).removeprefix(SERVICE_PREFIX)


def build(
    inv: Inventory,
    verdicts: Mapping[str, Verdict],
    since: Mapping[str, float],
    loads: Mapping[str, LinkLoad],
    uplink_history: Sequence[tuple[float, float, float]],
    dr: tuple[str, dict[str, str], float] | None,
    health: Health,
    acked: Mapping[str, str],
    now: float,
    said: Mapping[str, Sequence[Said]] | None = None,
    speakers: Mapping[str, Sequence[Speaker]] | None = None,
    talkers: Sequence[tuple[str, float, float]] = (),
) -> dict[str, Any]:
    """The wall's document. `verdicts` and `since` are keyed by entity (devices by name,
    links as `link:NAME`); `uplink_history` holds (bucket start, in bit/s, out bit/s);
    `dr` is (readiness, reason, checked at); `acked` maps an alert group to who acknowledged
    it; `said` holds the last traps and syslog lines of devices (newest first), and
    `speakers` whose of them each problem's card shows (`said_about`); `talkers` the sites
    filling the uplink (site, in bit/s, out bit/s; biggest first), shown above 80%."""
    said, speakers = said or {}, speakers or {}
    services_title = {svc.name: svc.title for svc in inv.services}

    def state_of(entity: str) -> Verdict:
        return verdicts.get(entity, Verdict(State.UNKNOWN))

    behind: dict[str, int] = {}
    for entity, verdict in verdicts.items():
        is_device = entity in inv.devices_by_name
        if verdict.state is State.UNREACHABLE and verdict.root_cause and is_device:
            behind[verdict.root_cause] = behind.get(verdict.root_cause, 0) + 1

    site_state: dict[str, State] = {}
    for d in inv.devices:
        current, worst = state_of(d.name).state, site_state.get(d.site)
        if worst is None or SEVERITY[current] < SEVERITY[worst]:
            site_state[d.site] = current
    sites = [
        {
            "name": s.name,
            "kind": s.kind.value,
            "title": s.title,
            "kecamatan": s.kecamatan,
            "lat": s.lat,
            "lon": s.lon,
            "state": site_state.get(s.name, State.UNKNOWN).value,
        }
        for s in inv.sites
    ]

    device_site = {d.name: d.site for d in inv.devices}
    links = []
    uplink: dict[str, Any] | None = None
    for ln in inv.links:
        load = loads.get(ln.name, LinkLoad(None, None, None))
        v = state_of(link_key(ln))
        # A link is as dead as the devices at its ends: a BTS down takes every link it
        # carries down with it, whichever end the inventory names first.
        ends = [state_of(ln.a.device).state]
        if ln.b is not None:
            ends.append(state_of(ln.b.device).state)
        state = v.state
        if State.DOWN in ends:
            state = State.DOWN
        elif State.UNREACHABLE in ends:
            state = State.UNREACHABLE
        entry = {
            "name": ln.name,
            "medium": ln.medium.value,
            "tier": ln.tier.value,
            "a": device_site.get(ln.a.device),
            "b": device_site.get(ln.b.device) if ln.b else None,
            "state": state.value,
            "capacity_bps": ln.capacity_bps,
            "utilisation": load.utilisation,
        }
        links.append(entry)
        if ln is inv.uplink:
            uplink = {
                **entry,
                "in_bps": load.in_bps,
                "out_bps": load.out_bps,
                "provider": ln.provider,
                "history": [[t, i, o] for t, i, o in uplink_history],
            }

    problems: list[tuple[tuple[int, bool, float, str], dict[str, Any]]] = []
    for entity, verdict in verdicts.items():
        if verdict.state not in PROBLEM:
            continue
        name = _key(entity)
        kind = "link" if is_link(entity) else "service" if is_service(entity) else "device"
        device = inv.devices_by_name.get(name)
        site = inv.site(device.site) if device is not None else None
        title = site.title if site is not None else services_title.get(name)
        began = since.get(entity, verdict.since)
        order = (-behind.get(entity, 0), kind != "device", began or now, name)
        problems.append(
            (
                order,
                {
                    "entity": name,
                    "kind": kind,
                    "state": verdict.state.value,
                    "role": device.role.value if device is not None else None,
                    "title": title,
                    "kecamatan": site.kecamatan if site is not None else None,
                    "since": began,
                    "behind": behind.get(entity, 0),
                    "reason": verdict.reason,
                    "acked_by": acked.get(name),
                    "said": last_words(speakers.get(entity, ()), said, began),
                },
            )
        )
    # Root causes with the most behind them first, then devices before links, then the
    # longest-lasting.
    problems.sort(key=lambda p: p[0])

    counts: dict[str, int] = {}
    for d in inv.devices:
        s = state_of(d.name).state.value
        counts[s] = counts.get(s, 0) + 1

    services = [
        {
            "name": svc.name,
            "title": svc.title,
            "state": state_of(service_key(svc.name)).state.value,
            "reason": state_of(service_key(svc.name)).reason,
        }
        for svc in inv.services
    ]
    hot = uplink is not None and (uplink["utilisation"] or 0.0) >= TALKERS_ABOVE
    titles = {s.name: s.title for s in inv.sites}
    top = [
        {"site": site, "title": titles.get(site), "in_bps": round(i), "out_bps": round(o)}
        for site, i, o in talkers[:TALKERS]
    ]
    polling = health.last_poll_at is not None and now - health.last_poll_at < 3 * health.interval_s
    return {
        "at": now,
        "network": inv.network.name,
        "sites": sites,
        "links": links,
        "problems": [p for _, p in problems],
        "unreachable": sum(behind.values()),
        "services": services,
        "devices": {d.name: state_of(d.name).state.value for d in inv.devices},
        "tree": schematic_rows(inv),
        "counts": counts,
        "uplink": uplink,
        "talkers": top if hot else [],
        "dr": None if dr is None else {"state": dr[0], "reason": dr[1], "at": dr[2]},
        "collector": {
            "last_poll_at": health.last_poll_at,
            "polling": polling,
            "polls": health.polls,
            "failures": health.failures,
            "late": health.late,
            "store_ok": health.store_ok,
            "pending_events": health.pending_events,
            "store_behind_s": round(health.oldest_pending_s),
        },
    }
