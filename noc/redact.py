"""The one place text is scrubbed of credentials before anyone sees it.

Every secret the toolkit resolves (SNMP communities and keys, SSH passwords, database URLs) is
registered here when it is resolved, and `scrub` removes every registered value, the password
part of anything shaped like a URL or a libpq keyword string, and the password of URLs that
are too malformed to parse. Reasons, log lines, error messages, `/metrics` labels and stored
rows all pass through `scrub` on their way out.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "********"
_MIN_LEN = 4  # shorter values would scrub ordinary words

_lock = threading.Lock()
_known: set[str] = set()
_ordered: list[str] = []

# user:password@ after a scheme (or a scheme missing its colon): postgresql://noc:pw@host
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*:?//[^\s:/@'\"]*):(?P<pw>[^\s@'\"]*)@")
# libpq keyword strings and query parameters: password=pw, password='pw'
_KEYWORD = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|secret|token)\s*=\s*)(?P<pw>'[^']*'|\S+)", re.IGNORECASE
)


def register(*values: str | None) -> None:
    """Remember secrets so `scrub` removes them, with the password inside a URL."""
    with _lock:
        for value in values:
            if not value:
                continue
            parts = [value]
            match = _USERINFO.search(value)
            if match:
                parts.append(match.group("pw"))
            for part in parts:
                if len(part) >= _MIN_LEN and part not in _known:
                    _known.add(part)
                    _ordered.append(part)
            _ordered.sort(key=len, reverse=True)


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """`text` without any credential the toolkit knows of, or that looks like one."""
    if not text:
        return text
    text = _USERINFO.sub(lambda m: f"{m.group('head')}:{MASK}@", text)
    text = _KEYWORD.sub(lambda m: f"{m.group('head')}{MASK}", text)
    with _lock:
        known = list(_ordered)
    for secret in sorted(
        {*known, *(e for e in extra if len(e) >= _MIN_LEN)}, key=len, reverse=True
    ):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def first_line(exc: BaseException) -> str:
    """An exception's (or its cause's) first line, scrubbed: what a person may be shown."""
    source = exc.__cause__ or exc
    text = str(source).strip()
    return scrub(text.splitlines()[0] if text else type(source).__name__)


class ScrubFilter(logging.Filter):
    """Scrubs every log record before a handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message or record.exc_info:
            record.msg, record.args = clean, None
            if record.exc_info:
                record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def install_log_filter() -> None:
    """Put the filter on every handler of the root logger (and on new ones via the root)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
