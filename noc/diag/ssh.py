"""`noc diag ssh`: allow-listed show-commands over SSH (netmiko), parsed with ntc-templates.

Nothing the technician types is sent to the device: the command name picks a fixed vendor
command from the allow-list of the device's netmiko device_type, so shell metacharacters in
any argument have nothing to reach. Every refusal happens before a connection is opened."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from noc.diag.result import DiagError, DiagRefused
from noc.inventory import Inventory
from noc.inventory.model import Device
from noc.inventory.secrets import SecretError, resolve_secret

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


def connection_params(
    inv: Inventory, ssh_plan: SshPlan, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    device = ssh_plan.device
    assert device.ssh is not None
    cred = inv.ssh_credentials[device.ssh.credentials]
    users = [d for d in inv.devices if d.ssh and d.ssh.credentials == device.ssh.credentials]
    env = os.environ if environ is None else environ
    params: dict[str, Any] = {
        "device_type": ssh_plan.device_type,
        "host": str(device.address),
        "port": device.ssh.port,
        "username": cred.username,
        "allow_agent": False,
        "use_keys": False,
        "conn_timeout": 10,
        "auth_timeout": 10,
        "banner_timeout": 10,
        "fast_cli": True,
    }
    try:
        if cred.key_file is not None and (env.get(cred.key_file.env) or cred.key_file.lab_default):
            key = Path(resolve_secret(cred.key_file, users, env).get_secret_value())
            if not key.is_file():
                raise DiagError(f"the SSH key file named by {cred.key_file.env} does not exist")
            params.update(use_keys=True, key_file=str(key))
        if cred.password is not None and (env.get(cred.password.env) or cred.password.lab_default):
            params["password"] = resolve_secret(cred.password, users, env).get_secret_value()
    except SecretError as exc:
        raise DiagError(str(exc)) from None
    if "password" not in params and "key_file" not in params:
        names = [r.env for r in (cred.password, cred.key_file) if r is not None]
        raise DiagError(f"no SSH secret for {device.name}: set {' or '.join(names)}")
    return params


def parse(device_type: str, vendor_command: str, raw: str) -> list[dict[str, Any]] | None:
    """Structured rows from the ntc-templates template for this command, if one exists."""
    from ntc_templates.parse import parse_output

    try:
        rows = parse_output(platform=device_type, command=vendor_command, data=raw)
    except Exception:  # no template for this platform and command: the raw text stands
        return None
    return [dict(r) for r in rows]


def _netmiko_connect(**params: Any) -> Any:
    from netmiko import ConnectHandler

    return ConnectHandler(**params)


async def run(
    inv: Inventory,
    device_name: str,
    command: str,
    environ: Mapping[str, str] | None = None,
    connect: Callable[..., Any] = _netmiko_connect,
) -> dict[str, Any]:
    ssh_plan = plan(inv, device_name, command)
    params = connection_params(inv, ssh_plan, environ)

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
