"""The services as the store has them, for `noc services` and the API: each service's
judgement from every vantage point's last vote, and those votes with their checks. Pure over
what was read (`now` passed in)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from noc.inventory.model import Inventory
from noc.services.quorum import judge
from noc.services.votes import Ballot


def overview(inv: Inventory, ballots: Sequence[Ballot], now: float) -> list[dict[str, Any]]:
    by_service: dict[str, list[Ballot]] = {}
    for b in ballots:
        by_service.setdefault(b.service, []).append(b)
    out = []
    for svc in inv.services:
        mine = by_service.get(svc.name, [])
        found = judge([b.vote for b in mine], now, svc.interval_s)
        certs = [c for b in mine for check in b.checks for c in check.get("certificates", [])]
        soonest = min(certs, key=lambda c: c.get("not_after", 0), default=None)
        out.append(
            {
                "service": svc.name,
                "title": svc.title,
                "runs_on": list(svc.runs_on),
                "target": svc.target,
                "state": "unknown" if found.up is None else ("up" if found.up else "down"),
                "reason": found.reason,
                "voters": found.voters,
                "failing": found.failing,
                "abstaining": list(found.abstaining),
                "soonest_certificate": None
                if soonest is None
                else {
                    "host": soonest["host"],
                    "role": soonest["role"],
                    "subject": soonest["subject"],
                    "days": round((soonest["not_after"] - now) / 86_400, 1),
                },
                "votes": [
                    {
                        "vantage": b.vote.vantage,
                        "at": b.vote.at,
                        "ok": b.vote.ok,
                        "abstain": b.vote.abstain,
                        "external": b.vote.external,
                        "reason": b.vote.reason,
                        "checks": list(b.checks),
                    }
                    for b in mine
                ],
            }
        )
    return out
