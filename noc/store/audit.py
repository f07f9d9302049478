"""The audit log of diagnostic runs: who, what, when, outcome. Kept in the store; while the
store does not answer, entries wait in a local file and are written on the next run."""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from noc import redact
from noc.errors import NocError
from noc.store.models import AuditRow

log = logging.getLogger(__name__)


class AuditRefused(NocError):
    """The store refused an entry: it can never be recorded (it is set aside, not held)."""


class AuditLog:
    def __init__(self, engine: Engine, pending: Path) -> None:
        self.engine = engine
        self.pending = pending

    def record(
        self,
        actor: str,
        action: str,
        device: str | None,
        arguments: dict[str, Any],
        outcome: str,
        detail: str = "",
    ) -> str:
        entry = {
            "id": str(uuid.uuid4()),
            "at": time.time(),
            "actor": actor,
            "action": action,
            "device": device,
            "arguments": json.dumps(arguments, sort_keys=True),
            "outcome": outcome,
            "detail": detail[:2000],
        }
        entries = [*self._held(), _printable(entry)]
        written, refused = self._write(entries)
        rest = entries[written:]
        if rest:
            self.pending.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.pending.with_suffix(".tmp")
            tmp.write_text("".join(json.dumps(e) + "\n" for e in rest), encoding="utf-8")
            tmp.replace(self.pending)
        else:
            self.pending.unlink(missing_ok=True)
        if entry["id"] in refused:
            raise AuditRefused(refused[str(entry["id"])])
        return str(entry["id"])

    def _write(self, entries: list[dict[str, Any]]) -> tuple[int, dict[str, str]]:
        """Write entries one transaction each, oldest first; how many left the queue. A store
        that does not answer stops the run (the rest wait); an entry the store refuses is set
        aside in the rejected file with the reason, so it can never block those after it (and
        is returned by id, with the reason)."""
        refused: dict[str, str] = {}
        for done, item in enumerate(entries):
            try:
                with Session(self.engine) as session, session.begin():
                    session.merge(AuditRow(**item))
            except (OperationalError, InterfaceError, OSError) as exc:
                log.warning(
                    "audit entries held locally (%d), the store does not answer: %s",
                    len(entries) - done,
                    redact.first_line(exc),
                )
                return done, refused
            except (SQLAlchemyError, ValueError, TypeError) as exc:
                log.error(
                    "audit entry %s refused by the store, set aside in %s: %s",
                    item.get("id"),
                    self.rejected,
                    redact.first_line(exc),
                )
                self.rejected.parent.mkdir(parents=True, exist_ok=True)
                with self.rejected.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps({**item, "refused": redact.first_line(exc)}) + "\n")
                refused[str(item.get("id"))] = redact.first_line(exc)
        return len(entries), refused

    @property
    def rejected(self) -> Path:
        return self.pending.with_name(self.pending.stem + "-rejected.jsonl")

    def _held(self) -> list[dict[str, Any]]:
        if not self.pending.exists():
            return []
        held = []
        for line in self.pending.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line cut by a crash: nothing of it can be trusted
            if isinstance(item, dict):
                held.append(_printable(item))
        return held

    def entries(self, limit: int = 100, since: float | None = None) -> list[dict[str, Any]]:
        query = select(AuditRow).order_by(AuditRow.at.desc()).limit(limit)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        with Session(self.engine) as session:
            return [
                {
                    "id": r.id,
                    "at": r.at,
                    "actor": r.actor,
                    "action": r.action,
                    "device": r.device,
                    "arguments": json.loads(r.arguments or "{}"),
                    "outcome": r.outcome,
                    "detail": r.detail,
                }
                for r in session.scalars(query)
            ]


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F) if chr(c) not in "\t\n"}


def escape_control(text: str) -> str:
    """Control characters (NUL above all, which PostgreSQL text cannot hold) as escapes."""
    return text.translate(_CONTROL)


def _printable(entry: dict[str, Any]) -> dict[str, Any]:
    """Control characters (NUL above all, which PostgreSQL text cannot hold) written as
    escapes: the audit keeps what was asked, in a form every store accepts."""
    return {k: escape_control(v) if isinstance(v, str) else v for k, v in entry.items()}
