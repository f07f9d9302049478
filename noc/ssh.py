"""SSH to network devices (netmiko), shared by diagnostics and DR failover steps: the
connection parameters from the inventory and its secrets, and the connection itself."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from noc.errors import NocError
from noc.inventory import Inventory
from noc.inventory.model import Device
from noc.inventory.secrets import SecretError, resolve_secret


class SshError(NocError):
    """SSH cannot be attempted: no access configured, or no secret for it."""


def connection_params(
    inv: Inventory, device: Device, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """netmiko's connection parameters for a device with `ssh:` access, its secret resolved
    from the environment; SshError (one line, no secret) when that cannot be done."""
    if device.ssh is None:
        raise SshError(f"{device.name} has no `ssh:` access in the inventory")
    cred = inv.ssh_credentials[device.ssh.credentials]
    users = [d for d in inv.devices if d.ssh and d.ssh.credentials == device.ssh.credentials]
    env = os.environ if environ is None else environ
    params: dict[str, Any] = {
        "device_type": device.netmiko_device_type,
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
                raise SshError(f"the SSH key file named by {cred.key_file.env} does not exist")
            params.update(use_keys=True, key_file=str(key))
        if cred.password is not None and (env.get(cred.password.env) or cred.password.lab_default):
            params["password"] = resolve_secret(cred.password, users, env).get_secret_value()
    except SecretError as exc:
        raise SshError(str(exc)) from None
    if "password" not in params and "key_file" not in params:
        names = [r.env for r in (cred.password, cred.key_file) if r is not None]
        raise SshError(f"no SSH secret: set {' or '.join(names)}")
    return params


def netmiko_connect(**params: Any) -> Any:
    """An open netmiko connection (netmiko, slow to import, is loaded on first use)."""
    from netmiko import ConnectHandler

    return ConnectHandler(**params)
