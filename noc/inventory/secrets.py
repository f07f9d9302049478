"""Resolve credential secrets from the environment, never from the inventory file itself."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping

from pydantic import SecretStr

from noc import redact
from noc.errors import NocError
from noc.inventory.model import Device, SecretRef


class SecretError(NocError):
    pass


def is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_loopback


def resolve_secret(
    ref: SecretRef,
    users: Iterable[Device],
    environ: Mapping[str, str] | None = None,
) -> SecretStr:
    """The secret's value: its environment variable, or the lab default when every device
    that uses it is on loopback (the simulated network)."""
    env = os.environ if environ is None else environ
    value = env.get(ref.env)
    if value:
        redact.register(value)
        return SecretStr(value)
    if ref.lab_default is None:
        raise SecretError(f"environment variable {ref.env} is not set")
    outside = sorted(d.name for d in users if not is_loopback(d.address))
    if outside:
        raise SecretError(
            f"environment variable {ref.env} is not set; its lab default serves only the "
            f"simulated network, not {', '.join(outside[:3])}"
        )
    redact.register(ref.lab_default)
    return SecretStr(ref.lab_default)
