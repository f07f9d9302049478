"""DR readiness as values: each check's result with its reason, and the verdict over them.
Pure; the probes that produce results are in `dr/checks.py`."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from noc import redact


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class Readiness(StrEnum):
    READY = "ready"
    DEGRADED = "degraded"
    NOT_READY = "not_ready"


@dataclass(frozen=True)
class CheckResult:
    check: str
    subject: str
    status: Status
    reason: str
    value: float | None = None

    def __post_init__(self) -> None:  # every way out (metrics, API, store) starts here
        object.__setattr__(self, "reason", redact.scrub(self.reason))


@dataclass
class DrReport:
    at: float
    readiness: Readiness
    reason: str
    results: list[CheckResult] = field(default_factory=list)
    # The failover policy on the same observations (None: not decided with this report).
    failover: bool | None = None
    failover_why: list[str] = field(default_factory=list)
    vantages: dict[str, bool | None] = field(default_factory=dict)  # who sees the primary

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "readiness": self.readiness.value,
            "reason": self.reason,
            "failover": self.failover,
            "failover_why": self.failover_why,
            "vantages": self.vantages,
            "results": [asdict(r) | {"status": r.status.value} for r in self.results],
        }


def verdict(results: list[CheckResult], at: float | None = None) -> DrReport:
    """NOT READY if any check fails, DEGRADED if any warns, READY otherwise; the reason names
    the first failing (or warning) checks."""
    fails = [r for r in results if r.status is Status.FAIL]
    warns = [r for r in results if r.status is Status.WARN]
    if fails:
        readiness, worst = Readiness.NOT_READY, fails
    elif warns:
        readiness, worst = Readiness.DEGRADED, warns
    else:
        readiness, worst = Readiness.READY, []
    reason = "; ".join(f"{r.check} {r.subject}: {r.reason}" for r in worst[:3]) or "all checks pass"
    return DrReport(time.time() if at is None else at, readiness, reason, results)
