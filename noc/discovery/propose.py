"""From what the sweep found to a proposal for `inventory.yaml`: the links the neighbour tables
agree on (with the interface at both ends), each device's parent by hop count from the core,
the vendor and kind from sysObjectID, the site guessed from sysLocation. A proposal never
overwrites: a parent that contradicts the hand-written one is a conflict, listed. Pure, but
for `apply`, which edits the file's text keeping its comments (ruamel's round trip).
"""

from __future__ import annotations

import difflib
import json
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from noc.discovery.segments import vendor
from noc.discovery.sweep import Found
from noc.inventory.model import DeviceKind, Inventory, Role, SiteKind

VENDORS: tuple[tuple[str, DeviceKind], ...] = (
    ("1.3.6.1.4.1.14988.", DeviceKind.MIKROTIK_ROUTEROS),
    ("1.3.6.1.4.1.9.", DeviceKind.CISCO_IOS),
    ("1.3.6.1.4.1.10002.", DeviceKind.UBIQUITI_AIROS),
    ("1.3.6.1.4.1.41112.", DeviceKind.UBIQUITI_AIROS),
    ("1.3.6.1.4.1.8072.", DeviceKind.LINUX),
)
ROLE_OF_SITE = {
    SiteKind.BTS: Role.BTS,
    SiteKind.FIBER_POINT: Role.FIBER,
    SiteKind.DR: Role.DR,
}
TIER_OF_ROLE = {Role.SKPD: "access", Role.KELURAHAN: "access"}


def kind_of(object_id: str) -> DeviceKind | None:
    return next((k for prefix, k in VENDORS if (object_id + ".").startswith(prefix)), None)


@dataclass(frozen=True)
class Edge:
    a: str
    a_if: str | None
    b: str
    b_if: str | None
    standby: bool = False  # spanning tree blocks one end: a backup, never the path
    through: tuple[str, ...] = ()  # radio MACs between the ends: a transparent bridge
    via: str = "neighbours"  # or "layer 2": placed by ARP and forwarding entries


@dataclass
class Proposal:
    devices: list[dict[str, Any]] = field(default_factory=list)  # new, as inventory entries
    links: list[dict[str, Any]] = field(default_factory=list)  # new
    parents: dict[str, str | None] = field(default_factory=dict)  # every found device's
    conflicts: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    agree: int = 0  # found devices whose inventory parent is the proposed one
    compared: int = 0
    unknown: list[str] = field(default_factory=list)  # answered, vendor not recognised
    notes: list[str] = field(default_factory=list)  # what the layer-2 tables told of links


def name_of(found: Found) -> str:
    """An inventory name from sysName: lower case, only letters, digits and dashes."""
    name = re.sub(r"[^a-z0-9-]+", "-", found.name.lower()).strip("-")
    return name[:64] or "dev-" + found.address.replace(".", "-").replace(":", "-")


def graph(found: Sequence[Found]) -> list[Edge]:
    """Every adjacency both ends of which answered, once per pair of devices and interface
    (member ports of one aggregate are its one link); then each device no neighbour table
    names, placed by the layer-2 tables."""
    by_name = {name_of(f): f for f in found}
    by_address = {f.address: f for f in found}
    edges: dict[tuple[str, str, str | None], Edge] = {}

    def port(f: Found, interface: str | None) -> str | None:
        return f.l2.aggregate.get(interface, interface) if interface else interface

    def blocked(f: Found, interface: str | None) -> bool:
        return interface is not None and (
            interface in f.l2.blocked or port(f, interface) in f.l2.blocked
        )

    for f in found:
        me = name_of(f)
        for adj in f.neighbours:
            other = by_name.get(re.sub(r"[^a-z0-9-]+", "-", adj.name.lower()).strip("-"))
            if other is None and adj.address is not None:
                other = by_address.get(adj.address)
            if other is None or other is f:
                continue
            them = name_of(other)
            # Their interface: what they say of us, else what we heard as their port.
            back = next(
                (a.interface for a in other.neighbours if name_of_text(a.name) == me),
                adj.port,
            )
            standby = blocked(f, adj.interface) or blocked(other, back)
            ends = sorted([(me, port(f, adj.interface)), (them, port(other, back))])
            (a, a_if), (b, b_if) = ends
            key = (a, b, a_if)
            if key not in edges:
                edges[key] = Edge(a, a_if, b, b_if, standby)
    known = {mac for f in found for mac in f.l2.macs.values()}  # every answering device's
    out = [_through(e, by_name, known) for e in edges.values()]
    out += _placed_by_layer2(found, {n for e in out for n in (e.a, e.b)})
    return sorted(out, key=lambda e: (e.a, e.b, e.a_if or ""))


def _through(e: Edge, by_name: dict[str, Found], known: set[str]) -> Edge:
    """The edge, with the radio MACs its two ports learned that no answering device has."""
    seen: set[str] = set()
    for name, interface in ((e.a, e.a_if), (e.b, e.b_if)):
        f = by_name.get(name)
        if f is not None and interface is not None:
            seen |= f.l2.fdb.get(interface, set())
    radios = tuple(sorted(m for m in seen - known if vendor(m)))
    return replace(e, through=radios) if radios else e


def _placed_by_layer2(found: Sequence[Found], placed: set[str]) -> list[Edge]:
    """A device in no neighbour table, attached where a device learned one of its MACs on the
    port with the fewest stations behind it (the edge port, not an uplink that learns all)."""
    # Each MAC's two best places (fewest stations, then device and port): the better of the
    # two that is not the device itself is where it sits. One pass over every table, not every
    # device's MACs against every other device's tables.
    best: dict[str, list[tuple[int, str, str, int]]] = {}
    for i, x in enumerate(found):
        for mac, where in x.l2.learned().items():
            two = best.setdefault(mac, [])
            two.append((len(x.l2.fdb.get(where, ())), name_of(x), where, i))
            if len(two) > 2:
                two.sort()
                del two[2:]
    out = []
    for i, y in enumerate(found):
        me = name_of(y)
        if me in placed or y.reason is not None:
            continue
        choice: tuple[int, str, str, str] | None = None
        for y_if, mac in y.l2.macs.items():
            for crowd, x_name, where, j in sorted(best.get(mac, ())):
                if j != i:
                    candidate = (crowd, x_name, where, y_if)
                    choice = candidate if choice is None or candidate < choice else choice
                    break
        if choice is not None:
            _, x_name, x_if, y_if = choice
            (a, a_if), (b, b_if) = sorted([(x_name, x_if), (me, y_if)])
            out.append(Edge(a, a_if, b, b_if, via="layer 2"))
    return out


def name_of_text(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def parents(edges: Iterable[Edge], core: str) -> dict[str, str | None]:
    """Each device's parent: its neighbour one hop nearer the core (breadth first from the
    core; among equals, the first by name)."""
    edges = list(edges)
    out: dict[str, str | None] = {core: None}
    # The active links first; a standby link (spanning tree blocks it) only for what nothing
    # else reaches.
    for usable in ([e for e in edges if not e.standby], edges):
        near: dict[str, set[str]] = {}
        for e in usable:
            near.setdefault(e.a, set()).add(e.b)
            near.setdefault(e.b, set()).add(e.a)
        queue = deque(out)
        while queue:
            node = queue.popleft()
            for other in sorted(near.get(node, ())):
                if other not in out:
                    out[other] = node
                    queue.append(other)
    return out


def _site(inv: Inventory, location: str) -> str | None:
    """The site whose title (or name) the sysLocation names."""
    head = location.split(",", 1)[0].strip().lower()
    for site in inv.sites:
        if head in (site.title.lower(), site.name.lower()):
            return site.name
    return None


def propose(inv: Inventory, found: Sequence[Found], core: str) -> Proposal:
    p = Proposal()
    edges = graph(found)
    p.parents = parents(edges, core)
    by_address = {str(d.address): d for d in inv.devices}
    known_names = {d.name: d for d in inv.devices}
    known = {}
    for f in found:
        device = by_address.get(f.address) or known_names.get(name_of(f))
        if device is not None:
            known[name_of(f)] = device
    for f in found:
        me = name_of(f)
        proposed = p.parents.get(me)
        if me in known:
            device = known[me]
            if device.parent is None and proposed is None:
                continue
            p.compared += 1
            if device.parent == proposed:
                p.agree += 1
            else:
                p.conflicts.append((device.name, device.parent, proposed))
            continue
        kind = kind_of(f.object_id)
        if kind is None:
            p.unknown.append(f"{f.address} ({f.name}, {f.object_id})")
            continue
        site = _site(inv, f.location) or inv.network.collector_site
        site_kind = inv.sites_by_name[site].kind if site in inv.sites_by_name else None
        role = ROLE_OF_SITE.get(site_kind) if site_kind is not None else None
        if role is None:
            if kind is DeviceKind.LINUX:
                role = Role.SERVER
            elif site_kind is SiteKind.OFFICE:
                role = Role.KELURAHAN if site.startswith("kel-") else Role.SKPD
            else:
                role = Role.CORE
        entry: dict[str, Any] = {
            "name": me,
            "site": site,
            "kind": kind.value,
            "role": role.value,
            "tier": TIER_OF_ROLE.get(role, "backbone"),
            "address": f.address,
            "credentials": f.credentials,
        }
        if proposed is not None:
            entry["parent"] = proposed
        entry["interfaces"] = [
            {"name": i.name, "speed_bps": i.speed_bps} for i in f.interfaces
        ] or [{"name": "eth0", "speed_bps": 100_000_000}]
        entry["_guessed_site"] = _site(inv, f.location) is None
        p.devices.append(entry)
    have = {
        frozenset({(ln.a.device, ln.a.interface), (ln.b.device, ln.b.interface)})
        for ln in inv.links
        if ln.b is not None
    }
    speeds = {(name_of(f), i.name): i.speed_bps for f in found for i in f.interfaces}
    names = {ln.name for ln in inv.links}
    for e in edges:
        if e.a_if is None or e.b_if is None:
            continue
        said = link_notes(e)
        p.notes += [f"{e.a} {e.a_if} - {e.b} {e.b_if}: {n}" for n in said]
        ends = frozenset({(e.a, e.a_if), (e.b, e.b_if)})
        if ends in have:
            continue
        # The end nearer the core is `a`, whose counters measure the link.
        a, a_if, b, b_if = e.a, e.a_if, e.b, e.b_if
        if p.parents.get(a) == b:
            a, a_if, b, b_if = b, b_if, a, a_if
        name = f"{a}-{b}"
        if name in names:
            continue
        names.add(name)
        wireless = any(x.startswith(("wlan", "ath")) for x in (a_if, b_if)) or bool(e.through)
        p.links.append(
            {
                "name": name,
                "_notes": said,
                "medium": "radio" if wireless else "fiber",
                "tier": "access" if _role(inv, p, b) in TIER_OF_ROLE else "backbone",
                "a": {"device": a, "interface": a_if},
                "b": {"device": b, "interface": b_if},
                "capacity_bps": min(speeds.get((a, a_if), 1), speeds.get((b, b_if), 1)),
            }
        )
    return p


def link_notes(e: Edge) -> list[str]:
    out = []
    if e.through:
        makers = sorted({vendor(m) or "?" for m in e.through})
        out.append(
            f"through a transparent bridge ({len(e.through)} radio MACs between the ends: "
            f"{', '.join(makers)}); the ends only look adjacent"
        )
    if e.standby:
        out.append("standby: spanning tree blocks it (never a device's path)")
    if e.via == "layer 2":
        out.append("placed by ARP and forwarding entries (no neighbour table names it)")
    return out


def _role(inv: Inventory, p: Proposal, name: str) -> Role | None:
    device = inv.devices_by_name.get(name)
    if device is not None:
        return device.role
    entry = next((d for d in p.devices if d["name"] == name), None)
    return Role(entry["role"]) if entry is not None else None


def _scalar(value: Any) -> str:
    text = str(value)
    if isinstance(value, int) or re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _device_yaml(entry: dict[str, Any], dash: str) -> str:
    """A device entry; `dash` is the section's own indentation of its items."""
    note = "discovered: site guessed, check it" if entry.get("_guessed_site") else "discovered"
    inner = " " * (len(dash) + 2)
    lines = [f"{dash}- name: {entry['name']}  # {note}\n"]
    for key in ("site", "kind", "role", "tier", "address", "credentials", "parent"):
        if key in entry:
            lines.append(f"{inner}{key}: {_scalar(entry[key])}\n")
    lines.append(f"{inner}interfaces:\n")
    for i in entry["interfaces"]:
        name = _scalar(i["name"])
        lines.append(f"{inner}  - {{name: {name}, speed_bps: {i['speed_bps']}}}\n")
    return "".join(lines)


def _link_yaml(entry: dict[str, Any], dash: str) -> str:
    a, b = entry["a"], entry["b"]
    inner = " " * (len(dash) + 2)
    notes = "".join(f"{inner}# {n}\n" for n in entry.get("_notes", ()))
    return (
        f"{dash}- name: {_scalar(entry['name'])}  # discovered: the capacity is the port "
        "speed; set the contract\n"
        f"{notes}"
        f"{inner}medium: {entry['medium']}\n"
        f"{inner}tier: {entry['tier']}\n"
        f"{inner}a: {{device: {a['device']}, interface: {_scalar(a['interface'])}}}\n"
        f"{inner}b: {{device: {b['device']}, interface: {_scalar(b['interface'])}}}\n"
        f"{inner}capacity_bps: {entry['capacity_bps']}\n"
    )


def _dash(text: str, section: str) -> str:
    """How the file indents the items of a top-level list (`  - ` or `- `)."""
    found = re.search(rf"^{section}:[ \t]*\n(?:[ \t]*(?:#.*)?\n)*([ \t]*)- ", text, re.M)
    return found.group(1) if found else "  "


def _insert(text: str, section: str, block: str) -> str:
    """`block` at the end of a top-level list `section`, before the comments and blank lines
    that lead into the next section; the rest of the text as it was."""
    if not block:
        return text
    lines = text.splitlines(keepends=True)
    try:
        start = next(i for i, ln in enumerate(lines) if ln.rstrip() == f"{section}:")
    except StopIteration:
        sep = "" if text.endswith("\n") or not text else "\n"
        return f"{text}{sep}\n{section}:\n{block}"
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"[A-Za-z_]", lines[i])),
        len(lines),
    )
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return "".join([*lines[:end], block, *lines[end:]])


def apply(text: str, p: Proposal) -> str:
    """The inventory's text with the proposal added: new devices and links at the end of
    their sections, each marked as discovered (a guessed site said so). Every other line is
    kept as it was, comments included, so the diff shows only what is proposed."""
    dash = _dash(text, "devices")
    text = _insert(text, "devices", "".join(_device_yaml(d, dash) for d in p.devices))
    dash = _dash(text, "links")
    return _insert(text, "links", "".join(_link_yaml(ln, dash) for ln in p.links))


def diff(before: str, after: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a/{path}",
            f"b/{path}",
        )
    )
