"""Inventory devices turned into SNMP targets, with secrets resolved from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from noc.inventory.model import Device, Inventory, SnmpV2c, Tier
from noc.inventory.secrets import resolve_secret
from noc.snmp.client import Target, V2cAuth, V3Auth


def deadline_s(inv: Inventory, tier: Tier) -> float:
    """Hard limit on one device's poll: a few requests' timeouts, inside the interval."""
    policy = inv.tiers[tier]
    budget = max(5.0, policy.timeout_s * (policy.retries + 1) * 3)
    return min(budget, policy.poll_interval_s * 0.8)


def build_targets(inv: Inventory, environ: Mapping[str, str] | None = None) -> dict[str, Target]:
    out: dict[str, Target] = {}
    for name, cred in inv.credentials.items():
        users = [d for d in inv.devices if d.credentials == name]
        if not users:
            continue
        auth: V2cAuth | V3Auth
        if isinstance(cred, SnmpV2c):
            auth = V2cAuth(resolve_secret(cred.community, users, environ), cred.version)
        else:
            auth = V3Auth(
                user=cred.user,
                auth_protocol=cred.auth_protocol,
                auth_key=resolve_secret(cred.auth_key, users, environ),
                priv_protocol=cred.priv_protocol,
                priv_key=resolve_secret(cred.priv_key, users, environ) if cred.priv_key else None,
            )
        for device in users:
            out[device.name] = target_for(inv, device, auth)
    return out


def target_for(inv: Inventory, device: Device, auth: V2cAuth | V3Auth) -> Target:
    policy = inv.tiers[device.tier]
    return Target(
        name=device.name,
        address=str(device.address),
        port=device.port,
        auth=auth,
        timeout_s=policy.timeout_s,
        retries=policy.retries,
    )
