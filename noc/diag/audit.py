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
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from noc.store.models import AuditRow

log = logging.getLogger(__name__)


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
        entries = [*self._held(), entry]
        try:
            with Session(self.engine) as session, session.begin():
                for item in entries:
                    session.merge(AuditRow(**item))
        except SQLAlchemyError as exc:
            log.warning("audit entry held locally, the store does not answer: %s",
                        str(exc.__cause__ or exc).splitlines()[0])  # fmt: skip
            self.pending.parent.mkdir(parents=True, exist_ok=True)
            with self.pending.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")
        else:
            self.pending.unlink(missing_ok=True)
        return str(entry["id"])

    def _held(self) -> list[dict[str, Any]]:
        if not self.pending.exists():
            return []
        lines = self.pending.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

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
