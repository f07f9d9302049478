"""The prometheus-snmp-exporter (0.21) module both benchmarks use: the IF-MIB profile's objects."""

from __future__ import annotations

from pathlib import Path

from noc.inventory.profiles import load_profile
from noc.polling.queries import plan_for
from noc.snmp.values import format_oid, parse_oid


def write_module(path: Path, *, scalars: bool) -> Path:
    """Module `if_mib`: the profile's counter and status columns (and its scalars if asked),
    all of them, as snmp_exporter's own if_mib module walks: packets by cast and the 32-bit
    octets too, which our steady polls leave out where nothing needs them."""
    plan = plan_for("if_mib")
    profile = load_profile("if_mib")
    fast = {
        name: parse_oid(column.oid)
        for table in profile.tables.values()
        for name, column in table.columns.items()
        if not column.slow
    }
    lines = [
        "if_mib:",
        "  version: 2",
        "  auth:",
        "    community: public",
        "  max_repetitions: 25",
        "  retries: 1",
        "  timeout: 3s",
    ]
    if scalars:
        lines += ["  get:"] + [f"  - {format_oid(oid)}" for oid in plan.scalars.values()]
    lines += ["  walk:"] + [f"  - {format_oid(oid)}" for oid in fast.values()]
    lines += ["  metrics:"]
    for name, oid in plan.scalars.items() if scalars else ():
        if name == "sysObjectID":
            continue
        kind = "DisplayString" if name in ("sysDescr", "sysName") else "gauge"
        lines += [f"  - name: {name}", f"    oid: {format_oid(oid)}", f"    type: {kind}"]
    for name, oid in fast.items():
        kind = "gauge" if "Status" in name or "Discontinuity" in name else "counter"
        lines += [
            f"  - name: {name}",
            f"    oid: {format_oid(oid)}",
            f"    type: {kind}",
            "    indexes:",
            "    - labelname: ifIndex",
            "      type: gauge",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path
