"""`noc diag ssh`: allow-listed show-commands over SSH (netmiko), parsed with ntc-templates.

Nothing the technician types is sent to the device: the command name picks a fixed vendor
command from the allow-list of the device's netmiko device_type, so shell metacharacters in
any argument have nothing to reach. Every refusal happens before a connection is opened."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from noc.diag.result import DiagError, DiagRefused
from noc.inventory import Inventory
from noc.inventory.model import Device
from noc.ssh import SshError, connection_params, netmiko_connect

# device_type -> technician's command -> the vendor's command, sent verbatim.
COMMANDS: dict[str, dict[str, str]] = {
    "linux": {
        "interfaces": "ip address show",
        "links": "ip link show",
        "routes": "ip route show",
        "arp": "ip neigh show",
        "log": "tail -n 50 /var/log/syslog",
        "uptime": "uptime",
    },
    "cisco_ios": {
        "interfaces": "show ip interface brief",
        "routes": "show ip route",
        "arp": "show arp",
        "log": "show logging",
        "uptime": "show version",
    },
    "mikrotik_routeros": {
        "interfaces": "/interface print terse without-paging",
        "routes": "/ip route print terse without-paging",
        "arp": "/ip arp print terse without-paging",
        "log": "/log print without-paging",
        "uptime": "/system resource print without-paging",
    },
}


@dataclass(frozen=True)
class SshPlan:
    device: Device
    device_type: str
    command: str
    vendor_command: str


def plan(inv: Inventory, device_name: str, command: str) -> SshPlan:
    """Check everything that can be checked without a connection."""
    device = inv.devices_by_name.get(device_name)
    if device is None:
        raise DiagRefused(f"unknown device {device_name!r}")
    if device.ssh is None:
        raise DiagRefused(f"{device.name} has no `ssh:` access in the inventory")
    allowed = COMMANDS.get(device.netmiko_device_type, {})
    if command not in allowed:
        raise DiagRefused(
            f"command {command!r} is not allowed for {device.netmiko_device_type} devices; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    return SshPlan(device, device.netmiko_device_type, command, allowed[command])


def parse(device_type: str, vendor_command: str, raw: str) -> list[dict[str, Any]] | None:
    """Structured rows from the ntc-templates template for this command, if one exists."""
    from ntc_templates.parse import parse_output

    try:
        rows = parse_output(platform=device_type, command=vendor_command, data=raw)
    except Exception:  # no template for this platform and command: the raw text stands
        return None
    return [dict(r) for r in rows]


async def run(
    inv: Inventory,
    device_name: str,
    command: str,
    environ: Mapping[str, str] | None = None,
    connect: Callable[..., Any] = netmiko_connect,
) -> dict[str, Any]:
    ssh_plan = plan(inv, device_name, command)
    try:
        params = connection_params(inv, ssh_plan.device, environ)
    except SshError as exc:
        raise DiagError(str(exc)) from None

    def session() -> str:
        conn = connect(**params)
        try:
            return str(conn.send_command(ssh_plan.vendor_command, read_timeout=30))
        finally:
            conn.disconnect()

    try:
        raw = await asyncio.to_thread(session)
    except DiagError:
        raise
    except Exception as exc:  # netmiko's many exception types: one reason for the technician
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise DiagError(
            f"SSH to {ssh_plan.device.name} failed: {type(exc).__name__}: {first}"
        ) from None
    return {
        "command": command,
        "vendor_command": ssh_plan.vendor_command,
        "device_type": ssh_plan.device_type,
        "parsed": parse(ssh_plan.device_type, ssh_plan.vendor_command, raw),
        "raw": raw,
    }
