"""Expected failures as one clear line and a non-zero exit, never a traceback.

A port already taken, a secret not set, a server that does not answer, a store that is down,
a name that is not in the inventory: the person at the terminal gets what went wrong and what
to do, on one line. Anything else is a bug, and keeps its traceback so it can be reported."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Callable

from noc import redact


def explain(exc: BaseException) -> str | None:
    """One line for an expected failure; None for anything else (a bug keeps its traceback).
    Every failure of the toolkit's own is a NocError: one check, so a new kind can never
    print a traceback because it was not listed here."""
    from sqlalchemy.exc import SQLAlchemyError

    from noc.errors import NocError
    from noc.inventory.errors import InventoryError
    from noc.inventory.secrets import SecretError
    from noc.settings import SettingsError

    text = redact.first_line(exc)
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen: the address is already in use ({text}); stop what uses it or "
            "choose another port"
        )
    if isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen there: no such local address ({text})"
    if isinstance(exc, ConnectionRefusedError):
        return f"nothing answers there (connection refused): {text}"
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"no answer in time: {text or 'timed out'}"
    if isinstance(exc, SettingsError):
        return f"a setting does not hold: {text}"
    if isinstance(exc, SecretError):
        return f"a secret is missing: {text}"
    if isinstance(exc, SQLAlchemyError):
        return f"the store does not answer: {text}"
    if isinstance(exc, InventoryError):
        return "; ".join(str(i) for i in exc.issues) or text
    if isinstance(exc, NocError):
        return text or type(exc).__name__
    name = type(exc).__module__ or ""
    if name.startswith(("urllib3", "requests", "niquests")):
        return f"cannot reach the server: {_root_cause(exc)}"
    return None


def _root_cause(exc: BaseException) -> str:
    """urllib3 and requests wrap the reason several layers deep; the innermost says it."""
    seen: BaseException = exc
    for _ in range(6):
        inner = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if not isinstance(inner, BaseException):
            break
        seen = inner
    text = redact.first_line(seen)
    if (
        "Connection refused" in text
        or "[Errno 111]" in text
        or isinstance(seen, ConnectionRefusedError)
    ):
        return "connection refused (is it running, on that port?)"
    return text


def run(app: Callable[[], object]) -> None:
    """Call the Typer app; turn an expected failure into one line on stderr and exit 1."""
    try:
        app()
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        line = explain(exc)
        if line is None:
            raise
        print(f"noc: {line}", file=sys.stderr)
        raise SystemExit(1) from None
