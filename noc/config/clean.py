"""From what a device printed to the text kept in history: volatile lines dropped, secrets
replaced by a keyed hash, and a cut or empty output refused with its reason. Pure: the key and
the outputs are passed in.

A secret becomes `<secret:0123456789ab>`, the first 12 hex digits of HMAC-SHA256 under the
installation's key: the same password gives the same token on every run (no change, no commit),
a changed one a different token (a changed line), and the token cannot be reversed or
recomputed without the key, which never leaves the state folder.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from noc.config.models import Model

TRUNCATED = "export truncated"
EMPTY = "empty output"
# netmiko leaves a device's own error lines in the output; these say the command did not run.
FAILED_COMMAND = re.compile(
    r"^(?:bad command name|syntax error|expected end of command|% Invalid input|"
    r"Error: Unrecognized command)",
    re.M,
)


def secret_token(key: bytes, value: str) -> str:
    digest = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    return f"<secret:{digest[:12]}>"


def hide_secrets(model: Model, text: str, key: bytes) -> str:
    for secret in model.secrets:

        def swap(m: re.Match[str]) -> str:
            value, whole = m.group("value"), m.group(0)
            if not value:
                return whole
            start, end = m.start("value") - m.start(), m.end("value") - m.start()
            return whole[:start] + secret_token(key, value.strip("\"'")) + whole[end:]

        text = secret.pattern.sub(swap, text)
    return text


def drop_volatile(model: Model, text: str) -> str:
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept = [ln for ln in lines if not any(p.fullmatch(ln) for p in model.volatile)]
    while kept and not kept[0]:
        kept.pop(0)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)


def author_in(model: Model, *texts: str | None) -> str | None:
    """Who the device says changed its configuration last (the last mention wins)."""
    found = None
    for text in texts:
        if not text:
            continue
        for pattern in model.author:
            for m in pattern.finditer(text):
                found = m.group("who")
    return found


@dataclass(frozen=True)
class Cleaned:
    text: str | None  # what is kept; None when the output is refused
    reason: str | None  # why it was refused
    author: str | None = None


def why_refused(model: Model, config: str) -> str | None:
    body = config.strip()
    if not body:
        return EMPTY
    refused = FAILED_COMMAND.search(body)
    if refused is not None:
        line = body[refused.start() :].split("\n", 1)[0]
        return f"the device refused the command: {line[:80]}"
    if any(p.search(body) for p in model.broken):
        return TRUNCATED
    if not all(p.search(body) for p in model.complete):
        return TRUNCATED
    return None


def clean(
    model: Model,
    outputs: list[tuple[str, str]],
    key: bytes,
    author_text: str | None = None,
) -> Cleaned:
    """`outputs`: (command, what it printed), the configuration command first. The kept text
    is each command's cleaned output under a comment line naming it."""
    if not outputs:
        return Cleaned(None, EMPTY)
    config = outputs[0][1].replace("\r\n", "\n")
    reason = why_refused(model, config)
    if reason is not None:
        return Cleaned(None, reason)
    author = author_in(model, config, author_text)
    parts = []
    for command, text in outputs:
        body = hide_secrets(model, drop_volatile(model, text), key)
        parts.append(f"{model.comment} noc: {command}\n{body}\n")
    return Cleaned("\n".join(parts), None, author)
