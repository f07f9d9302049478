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
    # What a person reads, in any language: a key of REASONS and its values (the `reason`
    # above is the English text, for logs, the API and the store).
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)

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


# Each check's outcome as the wall says it, by language: {subject} and the params.
REASONS: dict[str, dict[str, str]] = {
    "id": {
        "not_configured": "replikasi {subject}: belum dikonfigurasi ({var} belum diisi)",
        "replica_down": "replika {subject} tidak menjawab",
        "not_in_recovery": "replika {subject} tidak dalam mode pemulihan (sudah dipromosikan?)",
        "lag_s": "replikasi {subject}: tertinggal {lag:.0f} detik (RPO {rpo} detik)",
        "lag_bytes": "replikasi {subject}: {bytes:.0f} bita belum diterapkan",
        "replay_paused": "replikasi {subject}: penerapan dihentikan sementara",
        "no_marker": "sinkronisasi {subject}: penanda sinkronisasi tidak ada",
        "sync_age": "sinkronisasi {subject}: terakhir {age:.0f} detik lalu (RPO {rpo} detik)",
        "endpoint_down": "layanan {subject} di situs DR tidak menjawab",
        "endpoint_http": "layanan {subject} di situs DR menjawab HTTP {http}",
        "endpoint_ok": "layanan {subject} di situs DR menjawab",
        "no_probe": "belum ada probe DR: hanya satu titik pandang",
        "probe_down": "probe DR tidak menjawab",
        "probe_garbage": "probe DR menjawab data rusak",
        "probe_ok": "probe DR menjawab",
        "reachable": "{subject}: {state_id}",
        "cpu": "{subject}: CPU sibuk {share_pct}",
        "storage": "{subject}: penyimpanan terpakai {share_pct}",
        "link_state": "jalur {subject}: {state_id}",
        "link_busy": "jalur {subject}: {share_pct} dari kapasitas kontrak",
        "link_up": "jalur {subject}: normal",
        "all_pass": "semua pemeriksaan lulus",
        "other": "pemeriksaan {check} {subject} tidak lulus",
    },
    "en": {
        "not_configured": "replication {subject}: not configured ({var} is not set)",
        "replica_down": "replica {subject} does not answer",
        "not_in_recovery": "replica {subject} is not in recovery (promoted?)",
        "lag_s": "replication {subject}: {lag:.0f} s behind (RPO {rpo} s)",
        "lag_bytes": "replication {subject}: {bytes:.0f} bytes not replayed",
        "replay_paused": "replication {subject}: replay is paused",
        "no_marker": "sync {subject}: no sync marker",
        "sync_age": "sync {subject}: last {age:.0f} s ago (RPO {rpo} s)",
        "endpoint_down": "service {subject} at the DR site does not answer",
        "endpoint_http": "service {subject} at the DR site answers HTTP {http}",
        "endpoint_ok": "service {subject} at the DR site answers",
        "no_probe": "no DR probe configured: one vantage point only",
        "probe_down": "the DR probe does not answer",
        "probe_garbage": "the DR probe answers garbage",
        "probe_ok": "the DR probe answers",
        "reachable": "{subject}: {state}",
        "cpu": "{subject}: CPU {share_pct} busy",
        "storage": "{subject}: storage {share_pct} used",
        "link_state": "link {subject}: {state}",
        "link_busy": "link {subject}: {share_pct} of contracted capacity",
        "link_up": "link {subject}: up",
        "all_pass": "all checks pass",
        "other": "check {check} {subject} does not pass",
    },
}


STATES_ID = {
    "up": "normal",
    "down": "mati",
    "unreachable": "tak terjangkau",
    "unknown": "belum diketahui",
    "maintenance": "pemeliharaan",
    "flapping": "tidak stabil",
}


def say(result: CheckResult, lang: str) -> str:
    """One check's outcome in `lang` (never another language's text: an unknown code says
    which check did not pass)."""
    forms = REASONS.get(lang, REASONS["en"])
    values = {"check": result.check, "subject": result.subject, **result.params}
    share = result.params.get("share")
    if isinstance(share, float):
        pct = f"{share:.0%}"
        values["share_pct"] = pct.replace(".", ",") if lang == "id" else pct
    values["state_id"] = STATES_ID.get(str(result.params.get("state")), "?")
    try:
        return forms.get(result.code, forms["other"]).format(**values)
    except (KeyError, ValueError, IndexError):
        return forms["other"].format(**values)


def explain(report: DrReport, lang: str) -> str:
    """The report's reason in `lang`: its first failing (or warning) checks."""
    fails = [r for r in report.results if r.status is Status.FAIL]
    worst = fails or [r for r in report.results if r.status is Status.WARN]
    if not worst:
        return REASONS.get(lang, REASONS["en"])["all_pass"]
    return "; ".join(say(r, lang) for r in worst[:3])


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
