"""API tokens and roles. A token is shown once, when created; the store keeps its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from noc.store.models import ApiTokenRow

TOKEN_PREFIX = "noc_"  # noqa: S105 (a marker, not a secret)
# A token's name is who acts in the audit log ("token:" + name, in a 200-character column):
# well within it, printable, so every action a token takes can be recorded.
NAME_MAX = 64


def check_name(name: str) -> str:
    """The name, or ValueError saying why it cannot name a token."""
    if not name.strip():
        raise ValueError("a token needs a name")
    if len(name) > NAME_MAX:
        raise ValueError(f"a token's name has at most {NAME_MAX} characters ({len(name)} given)")
    if not name.isprintable():
        raise ValueError("a token's name must be printable (no control characters)")
    return name


class Role(StrEnum):
    VIEWER = "viewer"  # NOC screens: read everything that is not a secret
    TECHNICIAN = "technician"  # + run diagnostics
    MANAGER = "manager"  # + SLA reports
    ADMIN = "admin"  # + tokens, maintenance windows, the audit log
    PROBE = "probe"  # an external vantage point: reports its service checks, reads nothing


class Right(StrEnum):
    READ = "read"
    DIAGNOSE = "diagnose"
    REPORT = "report"
    ADMIN = "admin"
    VOTE = "vote"


GRANTS: dict[Role, frozenset[Right]] = {
    Role.VIEWER: frozenset({Right.READ}),
    Role.TECHNICIAN: frozenset({Right.READ, Right.DIAGNOSE}),
    Role.MANAGER: frozenset({Right.READ, Right.REPORT}),
    Role.ADMIN: frozenset(Right),
    Role.PROBE: frozenset({Right.VOTE}),
}


@dataclass(frozen=True)
class Principal:
    id: str
    name: str
    role: Role
    expires: float | None = None

    def may(self, right: Right) -> bool:
        return right in GRANTS[self.role]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    engine: Engine, name: str, role: Role, expires_in_s: float | None = None
) -> tuple[str, str]:
    """(token id, token); the token itself is not stored. With `expires_in_s` it stops
    working that long from now."""
    check_name(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = str(uuid.uuid4())
    now = time.time()
    expires = None if expires_in_s is None else now + expires_in_s
    with Session(engine) as session, session.begin():
        session.add(
            ApiTokenRow(
                id=token_id,
                name=name,
                role=role.value,
                secret_sha256=_digest(token),
                created=now,
                last_used=None,
                revoked=None,
                expires=expires,
            )
        )
    return token_id, token


def lookup(engine: Engine, token: str) -> Principal | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with Session(engine) as session:
        row = session.scalars(
            select(ApiTokenRow).where(ApiTokenRow.secret_sha256 == _digest(token))
        ).first()
        now = time.time()
        if row is None or row.revoked is not None:
            return None
        if row.expires is not None and row.expires <= now:
            return None
        if row.last_used is None or now - row.last_used > 60:
            session.execute(
                update(ApiTokenRow).where(ApiTokenRow.id == row.id).values(last_used=now)
            )
            session.commit()
        return Principal(row.id, row.name, Role(row.role), row.expires)


def list_tokens(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [
            {
                "id": r.id,
                "name": r.name,
                "role": r.role,
                "created": r.created,
                "last_used": r.last_used,
                "revoked": r.revoked,
                "expires": r.expires,
            }
            for r in session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.created))
        ]


def revoke_token(engine: Engine, token_id: str) -> bool:
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == token_id, ApiTokenRow.revoked.is_(None))
            .values(revoked=time.time())
        )
        return bool(getattr(result, "rowcount", 0))
