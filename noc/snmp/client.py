"""The SNMP client the collector polls with: a narrow interface, so a faster codec can replace
the pysnmp implementation without touching callers.

Two operations: `get` of scalars, and `bulk_walk` of several table columns at once. Both raise
`SnmpError` subclasses with a reason a technician can act on; neither ever hangs longer than
the target's timeout x (retries + 1) per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import SecretStr

from noc.snmp.values import Oid, Value

# Rows of a walked column: index suffix (the OID after the column prefix) -> value.
Column = dict[Oid, Value]


@dataclass(frozen=True)
class V2cAuth:
    community: SecretStr
    version: str = "2c"  # "1" or "2c"


@dataclass(frozen=True)
class V3Auth:
    user: str
    auth_protocol: str
    auth_key: SecretStr
    priv_protocol: str | None = None
    priv_key: SecretStr | None = None


@dataclass(frozen=True)
class Target:
    """Where and how to ask one device."""

    name: str
    address: str
    port: int
    auth: V2cAuth | V3Auth
    timeout_s: float = 2.0
    retries: int = 1
    max_repetitions: int = 25


@dataclass
class RequestStats:
    """What it took to talk to a target; one instance per poll, filled by the client."""

    requests: int = 0
    retries: int = 0
    timeouts: int = 0
    varbinds: int = 0
    too_big: int = 0
    notes: list[str] = field(default_factory=list)


class SnmpError(Exception):
    """A request failed; `reason` is short, human, and never contains a credential."""

    reason = "SNMP error"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(f"{self.reason}: {detail}" if detail else self.reason)


class SnmpTimeout(SnmpError):
    reason = "no response (timeout)"


class SnmpAuthError(SnmpError):
    reason = "authentication failed (wrong SNMPv3 user, key or protocol)"


class SnmpProtocolError(SnmpError):
    reason = "bad response from agent"


class SnmpClient(Protocol):
    """What the collector needs from SNMP, and no more."""

    async def get(
        self, target: Target, oids: Sequence[Oid], stats: RequestStats
    ) -> dict[Oid, Value]:
        """Values of exact OIDs; a missing one comes back as a noSuch* exception value."""
        ...

    async def bulk_walk(
        self, target: Target, columns: Sequence[Oid], stats: RequestStats
    ) -> dict[Oid, Column]:
        """Every row of each column (GETBULK, several columns per request)."""
        ...

    async def close(self) -> None: ...


def walk_step(
    requested: Sequence[Oid],
    cursors: dict[Oid, Oid],
    rows: Sequence[Sequence[tuple[Oid, Value]]],
    out: dict[Oid, Column],
) -> None:
    """Fold one GETBULK response into `out`: `rows` are the repetitions, each with one varbind
    per column in `requested` (the columns the request asked, in order). Advances or closes
    each column's cursor; shared by every implementation.

    A column closes when the agent leaves its subtree or reports endOfMibView. An OID that does
    not increase is a broken agent: we raise rather than loop forever."""
    for row in rows:
        for column, (oid, value) in zip(requested, row, strict=False):
            if column not in cursors:
                continue
            if value.is_exception or oid[: len(column)] != column:
                del cursors[column]
                continue
            if oid <= cursors[column]:
                raise SnmpProtocolError(f"agent returned non-increasing OID {_fmt(oid)}")
            out.setdefault(column, {})[oid[len(column) :]] = value
            cursors[column] = oid
        if not cursors:
            return


def _fmt(oid: Oid) -> str:
    return ".".join(map(str, oid))
