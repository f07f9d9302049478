"""Inventory devices turned into SNMP targets, with secrets resolved from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from noc.inventory.model import Device, Inventory, SnmpV2c, Tier
from noc.inventory.secrets import resolve_secret
from noc.snmp.client import Budget, Target, V2cAuth, V3Auth

# What one poll may take from an agent. The largest recording we know (a 146-port switch)
# needs about 4,000 values and 300 kB; these leave room for ten times that, and bound the
# memory a hostile agent can make the collector hold to a few MB per poll in flight.
MAX_ROWS_PER_COLUMN = 10_000
MAX_VALUES_PER_POLL = 200_000
MAX_REQUESTS_PER_POLL = 2_000
MAX_BYTES_PER_POLL = 4 * 1024 * 1024


def deadline_s(inv: Inventory, tier: Tier) -> float:
    """Hard limit on one device's poll: a few requests' timeouts, inside the interval."""
    policy = inv.tiers[tier]
    budget = max(5.0, policy.timeout_s * (policy.retries + 1) * 3)
    return min(budget, policy.poll_interval_s * 0.8)


def poll_budget(inv: Inventory, tier: Tier) -> Budget:
    """The budget of one poll, starting now."""
    return Budget.within(
        deadline_s(inv, tier),
        max_rows=MAX_ROWS_PER_COLUMN,
        max_varbinds=MAX_VALUES_PER_POLL,
        max_requests=MAX_REQUESTS_PER_POLL,
        max_bytes=MAX_BYTES_PER_POLL,
    )


def build_targets(inv: Inventory, environ: Mapping[str, str] | None = None) -> dict[str, Target]:
    out: dict[str, Target] = {}
    for name in inv.credentials:
        users = [d for d in inv.devices if d.credentials == name]
        if not users:
            continue
        auth = auth_for(inv, name, environ)
        for device in users:
            out[device.name] = target_for(inv, device, auth)
    return out


def auth_for(
    inv: Inventory, name: str, environ: Mapping[str, str] | None = None
) -> V2cAuth | V3Auth:
    """The credential profile `name` with its secrets (its lab default only where every
    device that uses it is on loopback)."""
    cred = inv.credentials[name]
    users = [d for d in inv.devices if d.credentials == name]
    if isinstance(cred, SnmpV2c):
        return V2cAuth(resolve_secret(cred.community, users, environ), cred.version)
    return V3Auth(
        user=cred.user,
        auth_protocol=cred.auth_protocol,
        auth_key=resolve_secret(cred.auth_key, users, environ),
        priv_protocol=cred.priv_protocol,
        priv_key=resolve_secret(cred.priv_key, users, environ) if cred.priv_key else None,
    )


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
