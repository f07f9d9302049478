"""Load inventory.yaml: parse with line numbers, validate item by item, cross-check, report all."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from yaml import YAMLError as PyYAMLError

from noc.inventory import fastyaml
from noc.inventory.checks import cross_check
from noc.inventory.errors import InventoryError, InventoryIssue
from noc.inventory.model import (
    Alerting,
    Credential,
    Device,
    DrConfig,
    Inventory,
    Kecamatan,
    Link,
    MaintenanceWindow,
    Network,
    Site,
    SshCredential,
    Tier,
    TierPolicy,
)
from noc.inventory.services import Service

Loc = tuple[str | int, ...]

_LIST_SECTIONS: dict[str, type[BaseModel]] = {
    "kecamatan": Kecamatan,
    "sites": Site,
    "devices": Device,
    "links": Link,
    "maintenance": MaintenanceWindow,
    "services": Service,
}
_REQUIRED = ("version", "network", "tiers", "credentials", "kecamatan", "sites", "devices", "links")
_CREDENTIAL: TypeAdapter[Any] = TypeAdapter(Credential)
_OPTIONAL = ("ssh_credentials", "dr", "alerting")


def line_of(root: Any, loc: Loc) -> int | None:
    """The 1-based line of the deepest node of `loc` that exists in the parsed document."""
    node, line = root, None
    for part in loc:
        if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedMap | CommentedSeq):
            continue  # a union tag or similar that pydantic adds to the path
        else:
            break
    if line is None and isinstance(root, CommentedMap):
        line = root.lc.line + 1
    return line


def field_name(root: Any, loc: Loc) -> str:
    """`devices[3](bts-04).parent`: the path, with the item's name where it has one."""
    text, node = "", root
    for position, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                if isinstance(node, dict) and isinstance(node.get("name"), str):
                    text += f"({node['name']})"
            continue
        if isinstance(node, dict) and part not in node and position < len(loc) - 1:
            continue  # a union member's tag that pydantic adds, not a key of the file
        text += f".{part}" if text else part
        node = node.get(part) if isinstance(node, dict) else None
    return text


class _IssueList:
    def __init__(self, path: Path, root: Any) -> None:
        self.path, self.root = path, root
        self.issues: list[InventoryIssue] = []

    def add(self, loc: Loc, message: str) -> None:
        self.issues.append(
            InventoryIssue(self.path, line_of(self.root, loc), field_name(self.root, loc), message)
        )

    def add_validation(self, prefix: Loc, exc: ValidationError) -> None:
        for err in exc.errors():
            loc: Loc = prefix + tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                self.add(loc, f"unknown key {loc[-1]!r}")
            elif err["type"] == "missing":
                self.add(loc[:-1], f"required key {loc[-1]!r} is missing")
            else:
                message = str(err["msg"]).removeprefix("Value error, ")
                self.add(loc, message)

    def validate(self, adapter: TypeAdapter[Any], prefix: Loc, data: Any) -> Any | None:
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            self.add_validation(prefix, exc)
            return None


MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64


def _fail(path: Path, line: int | None, message: str) -> InventoryError:
    return InventoryError([InventoryIssue(path, line, "", message)])


def read_text(path: Path) -> str:
    """The file as text, or one clear error with its line: not a regular file, too large,
    UTF-16, not UTF-8, or holding a NUL."""
    try:
        if not path.is_file():
            raise _fail(
                path,
                None,
                "cannot read: not a regular file"
                if path.exists()
                else "cannot read: No such file or directory",
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _fail(path, None, f"cannot read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise _fail(path, None, f"the file is larger than {MAX_BYTES // 2**20} MiB")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and data[1:2] == b"\0"):
        raise _fail(path, 1, "the file is UTF-16; save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(
            path, line, f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None
    nul = text.find("\0")
    if nul >= 0:
        raise _fail(path, text.count("\n", 0, nul) + 1, "the file contains a NUL character")
    return text


def _depth(text: str) -> tuple[int, int]:
    """The deepest bracket nesting of flow collections, and its line (block nesting is bound
    by indentation and the line length)."""
    depth = deepest = 0
    line = where = 1
    for char in text:
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "\n":
            line += 1
    return deepest, where


def _parse(path: Path, text: str) -> Any:
    deepest, where = _depth(text)
    if deepest > MAX_DEPTH:
        raise _fail(path, where, f"nested more than {MAX_DEPTH} levels deep")
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise _fail(path, line, f"invalid YAML: {problem}") from None
    except YAMLError as exc:
        raise _fail(path, None, f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise _fail(path, None, "nested too deeply") from None


def load_inventory(path: str | Path) -> Inventory:
    """Read, validate and cross-check an inventory file, raising InventoryError with every issue.
    A valid file is read by the fast reader; a file it refuses, or one with errors, is read
    again by the full loader, which reports every error with its line."""
    path = Path(path)
    text = read_text(path)
    deepest, _ = _depth(text)
    if deepest <= MAX_DEPTH:
        try:
            quick = fastyaml.read(text)
        except (fastyaml.Ambiguous, YAMLError, PyYAMLError, RecursionError):
            quick = None
        if isinstance(quick, dict):
            try:
                return validate_document(path, quick)
            except InventoryError:
                pass  # reported below, with line numbers
    return validate_document(path, _parse(path, text))


def validate_document(path: Path, root: Any) -> Inventory:
    out = _IssueList(path, root)
    if not isinstance(root, dict):
        raise InventoryError(
            [InventoryIssue(path, 1, "", "the file must be a mapping of sections")]
        )

    for key in root:
        if key not in _REQUIRED and key not in _LIST_SECTIONS and key not in _OPTIONAL:
            out.add((key,), f"unknown key {key!r}")
    for key in _REQUIRED:
        if key not in root:
            out.add((), f"required section {key!r} is missing")

    parts: dict[str, Any] = {}
    rejected: dict[str, set[str]] = {name: set() for name in _LIST_SECTIONS}
    rejected["credentials"] = set()

    if "version" in root and root["version"] != 1:
        out.add(("version",), f"unsupported version {root['version']!r}; this toolkit reads 1")
    parts["version"] = 1

    if "network" in root:
        parts["network"] = out.validate(TypeAdapter(Network), ("network",), root["network"])

    parts["tiers"] = {}
    for tier_name, policy in _mapping(out, root, "tiers"):
        tier = out.validate(TypeAdapter(Tier), ("tiers", tier_name), tier_name)
        value = out.validate(TypeAdapter(TierPolicy), ("tiers", tier_name), policy)
        if tier is not None and value is not None:
            parts["tiers"][tier] = value
    for tier in Tier:
        if "tiers" in root and tier not in parts["tiers"] and tier.value not in root["tiers"]:
            out.add(("tiers",), f"tier {tier.value!r} has no policy")

    parts["credentials"] = {}
    for cred_name, cred in _mapping(out, root, "credentials"):
        value = out.validate(_CREDENTIAL, ("credentials", cred_name), cred)
        if value is None:
            rejected["credentials"].add(str(cred_name))
        else:
            parts["credentials"][str(cred_name)] = value

    parts["ssh_credentials"] = {}
    rejected["ssh_credentials"] = set()
    for cred_name, cred in _mapping(out, root, "ssh_credentials"):
        ssh = out.validate(TypeAdapter(SshCredential), ("ssh_credentials", cred_name), cred)
        if ssh is None:
            rejected["ssh_credentials"].add(str(cred_name))
        else:
            parts["ssh_credentials"][str(cred_name)] = ssh

    if root.get("dr") is not None:
        parts["dr"] = out.validate(TypeAdapter(DrConfig), ("dr",), root["dr"])
    if root.get("alerting") is not None:
        parts["alerting"] = out.validate(TypeAdapter(Alerting), ("alerting",), root["alerting"])

    for section, model in _LIST_SECTIONS.items():
        items = []
        for index, item in _sequence(out, root, section):
            value = out.validate(TypeAdapter(model), (section, index), item)
            if value is not None:
                items.append(value)
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                rejected[section].add(item["name"])
        parts[section] = items

    inventory: Inventory | None = None
    if parts.get("network") is not None:
        inventory = Inventory.model_construct(**parts)
        for loc, message in cross_check(inventory, rejected):
            out.add(_locate(root, loc), message)
    if out.issues or inventory is None:
        raise InventoryError(out.issues)
    return inventory


def _mapping(out: _IssueList, root: Any, section: str) -> Iterable[tuple[Any, Any]]:
    value = root.get(section)
    if value is None:
        return []
    if not isinstance(value, dict):
        out.add((section,), "must be a mapping")
        return []
    return list(value.items())


def _sequence(out: _IssueList, root: Any, section: str) -> Iterable[tuple[int, Any]]:
    value = root.get(section)
    if value is None:
        return []
    if not isinstance(value, list):
        out.add((section,), "must be a list")
        return []
    return list(enumerate(value))


def _locate(root: Any, loc: Loc) -> Loc:
    """Turn a cross-check location that names items, ("devices", "bts-04", "parent"), into
    the positional path of the document, ("devices", 7, "parent")."""
    if len(loc) < 2 or not isinstance(loc[1], str) or loc[0] not in _LIST_SECTIONS:
        return loc
    items = root.get(loc[0]) or []
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == loc[1]:
            return (loc[0], index, *loc[2:])
    return loc[:1]
