"""The SNMP client the collector polls with: a narrow interface, so a faster codec can replace
the pysnmp implementation without touching callers.

Two operations: `get` of scalars, and `bulk_walk` of several table columns at once. Both raise
`SnmpError` subclasses with a reason a technician can act on; neither ever hangs longer than
the target's timeout x (retries + 1) per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from pydantic import SecretStr

from noc.errors import NocError
from noc.snmp.values import Oid, Value, format_oid

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


@dataclass(frozen=True)
class Budget:
    """What one poll (or one diagnostic walk) may spend. The deadline is a point on the
    monotonic clock, checked between requests and used to cap every wait, so a poll ends by
    construction rather than by cancellation; the limits bound memory and traffic against an
    agent that answers quickly but never finishes (an endless walk, huge values, a flood)."""

    deadline: float | None = None  # time.monotonic() value; None: no deadline
    max_rows: int | None = None  # rows of any one walked column
    max_varbinds: int | None = None  # varbinds received in all
    max_requests: int | None = None
    max_bytes: int | None = None  # bytes of replies received in all

    @classmethod
    def within(cls, seconds: float, **limits: int | None) -> Budget:
        return cls(time.monotonic() + seconds, **limits)


UNLIMITED = Budget()


@dataclass
class RequestStats:
    """What it took to talk to a target; one instance per poll, filled by the client, which
    also enforces `budget` through `admit`, `wait_s` and `received`."""

    requests: int = 0
    retries: int = 0
    timeouts: int = 0
    varbinds: int = 0
    too_big: int = 0
    bytes: int = 0
    notes: list[str] = field(default_factory=list)
    budget: Budget = UNLIMITED

    def admit(self) -> None:
        """Called before each request: raises when the budget is spent."""
        self.check_deadline()
        b = self.budget
        if b.max_requests is not None and self.requests >= b.max_requests:
            raise SnmpBudgetExceeded(f"more than {b.max_requests} requests")

    def check_deadline(self) -> None:
        deadline = self.budget.deadline
        if deadline is not None and time.monotonic() >= deadline:
            raise SnmpBudgetExceeded("deadline reached")

    def wait_s(self, timeout_s: float) -> float:
        """How long the next wait for a reply may last: the target's timeout, cut at the
        deadline."""
        if self.budget.deadline is None:
            return timeout_s
        return max(0.0, min(timeout_s, self.budget.deadline - time.monotonic()))

    def received(self, nbytes: int) -> None:
        self.bytes += nbytes
        b = self.budget
        if b.max_bytes is not None and self.bytes > b.max_bytes:
            raise SnmpBudgetExceeded(f"more than {b.max_bytes:,} bytes of replies")
        if b.max_varbinds is not None and self.varbinds > b.max_varbinds:
            raise SnmpBudgetExceeded(f"more than {b.max_varbinds:,} values")

    def check_rows(self, column: Oid, rows: int) -> None:
        limit = self.budget.max_rows
        if limit is not None and rows > limit:
            raise SnmpBudgetExceeded(f"walk of {format_oid(column)} exceeded {limit:,} rows")


class SnmpError(NocError):
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


class SnmpBudgetExceeded(SnmpError):
    """The agent answers, but more, or for longer, than any real device needs."""

    reason = "poll stopped"


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


K = TypeVar("K")


def fold_walk(
    requested: Sequence[Oid],
    cursors: dict[Oid, Oid],
    varbinds: Sequence[tuple[K, Value]],
    suffix_of: Callable[[Oid, K], Oid | None],
    out: dict[Oid, Column],
) -> None:
    """Fold one GETBULK response into `out`, the one walk rule every engine uses.

    `varbinds` are the repetitions, flat, one varbind per column in `requested` (the columns the
    request asked, in order); `suffix_of(column, name)` is the row index of a varbind's name
    under `column`, or None when it is outside it (the engines differ only in how a name is
    read: a decoded OID, or the encoded bytes compared with the column's prefix). `cursors`
    holds each open column's last index (`()` at the start); a column closes when the agent
    leaves its subtree or reports endOfMibView. An index that does not increase is a broken
    agent: we raise rather than loop forever."""
    width = len(requested)
    for start in range(0, len(varbinds), width):
        for column, (name, value) in zip(requested, varbinds[start : start + width], strict=False):
            last = cursors.get(column)
            if last is None:
                continue
            suffix = None if value.is_exception else suffix_of(column, name)
            if suffix is None:
                del cursors[column]
                continue
            if suffix <= last:  # the column's own OID counts as its start: not an answer
                oid = format_oid(column + suffix)
                raise SnmpProtocolError(f"agent returned non-increasing OID {oid}")
            out.setdefault(column, {})[suffix] = value
            cursors[column] = suffix
        if not cursors:
            return


def under(column: Oid, oid: Oid) -> Oid | None:
    """The index of a decoded OID under `column`, or None outside it."""
    return oid[len(column) :] if oid[: len(column)] == column else None


def walk_step(
    requested: Sequence[Oid],
    cursors: dict[Oid, Oid],
    rows: Sequence[Sequence[tuple[Oid, Value]]],
    out: dict[Oid, Column],
) -> None:
    """`fold_walk` for engines that hand back decoded OIDs, one row per repetition."""
    fold_walk(requested, cursors, [vb for row in rows for vb in row], under, out)


def check_walk(stats: RequestStats, requested: Sequence[Oid], out: dict[Oid, Column]) -> None:
    """After each response of a walk: no column may grow past the budget's row limit."""
    if stats.budget.max_rows is None:
        return
    for column in requested:
        stats.check_rows(column, len(out.get(column, ())))
