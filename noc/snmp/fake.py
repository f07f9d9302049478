"""An SnmpClient answered from an in-memory MIB (e.g. a .snmprec recording), for unit tests."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from noc.snmp.client import Column, RequestStats, SnmpTimeout, Target, check_walk, walk_step
from noc.snmp.values import Oid, Tag, Value


class FakeSnmpClient:
    """Answers like an agent holding `mibs[target.name]`; records every OID it was asked."""

    def __init__(self, mibs: dict[str, dict[Oid, Value]]) -> None:
        self.mibs = {name: dict(sorted(mib.items())) for name, mib in mibs.items()}
        self.asked: list[tuple[str, Oid]] = []
        self.silent: set[str] = set()  # targets that time out

    def _mib(self, target: Target, stats: RequestStats) -> tuple[list[Oid], dict[Oid, Value]]:
        stats.admit()
        stats.requests += 1
        if target.name in self.silent or target.name not in self.mibs:
            stats.timeouts += 1
            raise SnmpTimeout("fake agent is silent")
        mib = self.mibs[target.name]
        return list(mib), mib

    async def get(
        self, target: Target, oids: Sequence[Oid], stats: RequestStats
    ) -> dict[Oid, Value]:
        _, mib = self._mib(target, stats)
        self.asked += [(target.name, oid) for oid in oids]
        stats.varbinds += len(oids)
        return {oid: mib.get(oid, Value(Tag.NO_SUCH_INSTANCE, None)) for oid in oids}

    async def bulk_walk(
        self, target: Target, columns: Sequence[Oid], stats: RequestStats
    ) -> dict[Oid, Column]:
        out: dict[Oid, Column] = {}
        cursors: dict[Oid, Oid] = dict.fromkeys(columns, ())
        while cursors:
            order, mib = self._mib(target, stats)
            requested = list(cursors)
            self.asked += [(target.name, c + cursors[c]) for c in requested]
            rows = []
            positions = {c: bisect.bisect_right(order, c + cursors[c]) for c in requested}
            for step in range(target.max_repetitions):
                row = []
                for column in requested:
                    pos = positions[column] + step
                    if pos < len(order):
                        row.append((order[pos], mib[order[pos]]))
                    else:
                        row.append((column + cursors[column], Value(Tag.END_OF_MIB_VIEW, None)))
                rows.append(row)
            stats.varbinds += sum(len(r) for r in rows)
            stats.received(0)
            walk_step(requested, cursors, rows, out)
            check_walk(stats, requested, out)
        return out

    async def close(self) -> None:
        return None
