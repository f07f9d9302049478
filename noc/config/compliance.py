"""Compliance rules, declared in `config-rules.yaml` next to the inventory, checked against each
device's kept configuration. Pure: the text and the rules are passed in.

A rule applies to device types and says either `require:` (some line must match) or `forbid:`
(no line may match), as a regular expression over single lines. Secrets are kept hashed, so a
rule about a secret names the value it must not be: `{secret:public}` in a pattern stands for
that value's token under the installation's key.

    rules:
      - id: no-telnet
        types: [mikrotik_routeros]
        require: '^/ip service set telnet disabled=yes'
        text: telnet service disabled
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from noc.config.clean import secret_token
from noc.errors import NocError

FILENAME = "config-rules.yaml"
SECRET_REF = re.compile(r"\{secret:([^}]+)\}")


class RulesError(NocError):
    """The rules file cannot be read: its file, line and field."""


@dataclass(frozen=True)
class Rule:
    id: str
    types: tuple[str, ...]
    pattern: str
    require: bool  # else forbid
    text: str
    text_id: str | None = None  # the same in Bahasa Indonesia, for the monthly report


@dataclass(frozen=True)
class Violation:
    device: str
    rule: str
    text: str
    line: int | None  # the offending line's number in the kept text (forbid), else None
    content: str | None
    text_id: str | None = None


def load_rules(path: Path) -> list[Rule]:
    if not path.exists():
        return []
    try:
        doc = YAML(typ="rt").load(path.read_text())
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise RulesError(f"{path}{where}: not valid YAML") from None
    items = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise RulesError(f"{path}: expected a `rules:` list")
    out = []
    for n, item in enumerate(items):
        line = item.lc.line + 1 if hasattr(item, "lc") else n + 1
        if not isinstance(item, dict):
            raise RulesError(f"{path}:{line}: a rule must be a mapping")
        rid = item.get("id")
        has_require, has_forbid = "require" in item, "forbid" in item
        if not isinstance(rid, str) or not rid:
            raise RulesError(f"{path}:{line}: field `id` is missing")
        if has_require == has_forbid:
            raise RulesError(f"{path}:{line}: rule {rid}: give exactly one of `require`, `forbid`")
        pattern = str(item["require"] if has_require else item["forbid"])
        try:
            re.compile(SECRET_REF.sub("x", pattern))
        except re.error as exc:
            field = "require" if has_require else "forbid"
            raise RulesError(f"{path}:{line}: rule {rid}, field `{field}`: {exc}") from None
        types = item.get("types") or []
        text_id = item.get("text_id")
        out.append(
            Rule(
                rid,
                tuple(str(t) for t in types),
                pattern,
                has_require,
                str(item.get("text", rid)),
                str(text_id) if text_id is not None else None,
            )
        )
    return out


def check(
    device: str, device_type: str, text: str, rules: list[Rule], key: bytes
) -> list[Violation]:
    found = []
    lines = text.split("\n")
    for rule in rules:
        if rule.types and device_type not in rule.types:
            continue
        expanded = SECRET_REF.sub(lambda m: re.escape(secret_token(key, m.group(1))), rule.pattern)
        pattern = re.compile(expanded)
        hits = [(i + 1, ln) for i, ln in enumerate(lines) if pattern.search(ln)]
        if rule.require and not hits:
            found.append(Violation(device, rule.id, rule.text, None, None, rule.text_id))
        if not rule.require:
            found += [Violation(device, rule.id, rule.text, n, ln, rule.text_id) for n, ln in hits]
    return found
