"""Cross-checks between inventory items: references, uniqueness, dependency cycles.

Locations name items by their `name` (("devices", "bts-04", "parent")); the loader turns them
into line numbers. References to items that failed their own validation are not reported again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from noc.inventory.model import Inventory
from noc.inventory.profiles import available_profiles

Finding = tuple[tuple[str | int, ...], str]


def cross_check(inv: Inventory, rejected: dict[str, set[str]]) -> list[Finding]:
    return [
        *_unique_names(inv),
        *_unique_addresses(inv),
        *_site_refs(inv, rejected),
        *_device_refs(inv, rejected),
        *_link_refs(inv, rejected),
        *_maintenance_refs(inv, rejected),
        *_dr_refs(inv, rejected),
        *_service_refs(inv, rejected),
        *_flow_refs(inv, rejected),
        *_cycles(inv),
    ]


def _dr_refs(inv: Inventory, rejected: dict[str, set[str]]) -> Iterator[Finding]:
    dr = getattr(inv, "dr", None)
    if dr is None:
        return
    sites = {s.name for s in inv.sites} | rejected["sites"]
    links = {ln.name for ln in inv.links} | rejected["links"]
    for key in ("primary_site", "dr_site"):
        if getattr(dr, key) not in sites:
            yield ("dr", key), f"unknown site {getattr(dr, key)!r}"
    for index, name in enumerate(dr.links):
        if name not in links:
            yield ("dr", "links", index), f"unknown link {name!r}"
    if dr.runbook is None:
        return
    databases = {d.name for d in dr.databases}
    for phase in ("induce", "fence", "steps"):
        for index, step in enumerate(getattr(dr.runbook, phase)):
            loc = ("dr", "runbook", phase, index)
            if step.kind == "pg_promote" and step.database not in databases:
                yield (*loc, "database"), f"unknown DR database {step.database!r}"
            if step.kind == "netmiko":
                device = inv.devices_by_name.get(step.device)
                if device is None:
                    yield (*loc, "device"), f"unknown device {step.device!r}"
                elif device.ssh is None:
                    yield (*loc, "device"), f"{step.device} has no `ssh:` access"


def _service_refs(inv: Inventory, rejected: dict[str, set[str]]) -> Iterator[Finding]:
    names = [s.name for s in inv.services]
    for name in sorted(_dupes(names)):
        yield ("services", name), f"service {name!r} is listed more than once"
    devices = set(inv.devices_by_name) | rejected["devices"]
    for service in inv.services:
        for index, device in enumerate(service.runs_on):
            if device not in devices:
                yield ("services", service.name, "runs_on", index), f"unknown device {device!r}"


def _flow_refs(inv: Inventory, rejected: dict[str, set[str]]) -> Iterator[Finding]:
    flows = inv.flows
    if flows.exporter is not None:
        device = inv.devices_by_name.get(flows.exporter)
        if device is None and flows.exporter not in rejected["devices"]:
            yield ("flows", "exporter"), f"unknown device {flows.exporter!r}"
        elif device is not None and flows.interface and device.interface(flows.interface) is None:
            yield ("flows", "interface"), f"{device.name} has no interface {flows.interface!r}"
    # One inside address, one site: overlapping subnets would count a flow to either. Sorted
    # by start, a subnet overlaps another only if it begins before the furthest end so far.
    spans = sorted(
        (net.version, int(net.network_address), int(net.broadcast_address), index, at, site.name)
        for index, site in enumerate(inv.sites)
        for at, net in enumerate(site.subnets)
    )
    reach: tuple[int, int, str] | None = None  # (version, furthest end, its site)
    for version, start, end, index, at, name in spans:
        if reach is not None and reach[0] == version and start <= reach[1]:
            net = inv.sites[index].subnets[at]
            yield ("sites", index, "subnets", at), f"{net} overlaps a subnet of site {reach[2]!r}"
        if reach is None or reach[0] != version or end > reach[1]:
            reach = (version, end, name)


def _dupes(names: list[str]) -> set[str]:
    return {n for n, count in Counter(names).items() if count > 1}


def _unique_names(inv: Inventory) -> Iterator[Finding]:
    for section, names in (
        ("kecamatan", [k.name for k in inv.kecamatan]),
        ("sites", [s.name for s in inv.sites]),
        ("devices", [d.name for d in inv.devices]),
        ("links", [ln.name for ln in inv.links]),
    ):
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                yield (section, index, "name"), f"duplicate name {name!r}"
            seen.add(name)
    for device in inv.devices:
        for name in sorted(_dupes([i.name for i in device.interfaces])):
            yield (device_loc(device.name, "interfaces"), f"duplicate interface {name!r}")


def device_loc(name: str, *rest: str | int) -> tuple[str | int, ...]:
    return ("devices", name, *rest)


def _unique_addresses(inv: Inventory) -> Iterator[Finding]:
    owner: dict[tuple[str, int], str] = {}
    for device in inv.devices:
        key = (str(device.address), device.port)
        if key in owner:
            yield (
                device_loc(device.name, "address"),
                f"address {device.address}:{device.port} is already used by {owner[key]!r}",
            )
        else:
            owner[key] = device.name


def _site_refs(inv: Inventory, rejected: dict[str, set[str]]) -> Iterator[Finding]:
    kecamatan = {k.name for k in inv.kecamatan} | rejected["kecamatan"]
    for site in inv.sites:
        if site.kecamatan not in kecamatan:
            yield ("sites", site.name, "kecamatan"), f"unknown kecamatan {site.kecamatan!r}"
    sites = {s.name for s in inv.sites} | rejected["sites"]
    if inv.network.collector_site not in sites:
        yield (
            ("network", "collector_site"),
            f"unknown site {inv.network.collector_site!r}",
        )


def _device_refs(inv: Inventory, rejected: dict[str, set[str]]) -> Iterator[Finding]:
    sites = {s.name for s in inv.sites} | rejected["sites"]
    devices = {d.name for d in inv.devices} | rejected["devices"]
    credentials = set(inv.credentials) | rejected["credentials"]
    ssh_credentials = set(inv.ssh_credentials) | rejected.get("ssh_credentials", set())
    profiles = available_profiles()
    for device in inv.devices:
        if device.ssh is not None and device.ssh.credentials not in ssh_credentials:
            yield (
                device_loc(device.name, "ssh", "credentials"),
                f"unknown SSH credential profile {device.ssh.credentials!r}",
            )
        if device.site not in sites:
            yield device_loc(device.name, "site"), f"unknown site {device.site!r}"
        if device.credentials not in credentials:
            yield (
                device_loc(device.name, "credentials"),
                f"unknown credential profile {device.credentials!r}",
            )
        if device.profile_name not in profiles:
            yield (
                device_loc(device.name, "profile" if device.profile else "kind"),
                f"unknown polling profile {device.profile_name!r} "
                f"(known: {', '.join(sorted(profiles))})",
            )
        if device.parent is not None:
            if device.parent == device.name:
                yield device_loc(device.name, "parent"), "a device cannot depend on itself"
            elif device.parent not in devices:
                yield device_loc(device.name, "parent"), f"unknown device {device.parent!r}"


def _link_refs(inv: Inventory, rejected: dict[str, set[str]]) -> Iterator[Finding]:
    known = inv.devices_by_name
    for link in inv.links:
        for side, end in (("a", link.a), ("b", link.b)):
            if end is None:
                continue
            device = known.get(end.device)
            if device is None:
                if end.device not in rejected["devices"]:
                    yield ("links", link.name, side, "device"), f"unknown device {end.device!r}"
            elif device.interface(end.interface) is None:
                yield (
                    ("links", link.name, side, "interface"),
                    f"device {end.device!r} has no interface {end.interface!r} "
                    f"(it has: {', '.join(i.name for i in device.interfaces)})",
                )


def _maintenance_refs(inv: Inventory, rejected: dict[str, set[str]]) -> Iterator[Finding]:
    devices = {d.name for d in inv.devices} | rejected["devices"]
    sites = {s.name for s in inv.sites} | rejected["sites"]
    for window in inv.maintenance:
        for name in window.devices:
            if name not in devices:
                yield ("maintenance", window.name, "devices"), f"unknown device {name!r}"
        for name in window.sites:
            if name not in sites:
                yield ("maintenance", window.name, "sites"), f"unknown site {name!r}"


def _cycles(inv: Inventory) -> Iterator[Finding]:
    parent = {d.name: d.parent for d in inv.devices}
    reported: set[str] = set()
    for start in parent:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent and node not in path:
            path.append(node)
            node = parent[node]
        if node is not None and node in path:
            cycle = path[path.index(node) :]
            if len(cycle) > 1 and not reported.intersection(cycle):
                reported.update(cycle)
                loop = " -> ".join([*cycle, node])
                yield device_loc(cycle[0], "parent"), f"dependency cycle: {loop}"
