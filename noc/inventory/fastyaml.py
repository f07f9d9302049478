"""A fast first reading of the inventory with libyaml (PyYAML's C parser), for files that are
valid: a 10,000-device inventory in seconds rather than a minute, and every `noc` command's
start. It reads as the full loader does (YAML 1.2: `on` and `yes` are words, `010` is ten)
and refuses anything where the two could differ; the full loader (ruamel, with line numbers)
then reads the file, so every error is still reported with its line."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml._yaml import CParser

# Plain scalars the YAML 1.2 reading makes numbers: any of these that this reader would keep
# as text sends the file to the full loader.
_NUMBERISH = re.compile(
    r"^[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*|[0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)?"
    r"|[0-9][0-9_]*[eE][-+]?[0-9]+|\.(inf|Inf|INF|nan|NaN|NAN))$"
)


class Ambiguous(ValueError):
    """A document this reader does not read the way the full loader would."""


class _Resolver(yaml.resolver.BaseResolver):
    pass


for tag, pattern, first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    ("float", r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]+$", "-+0123456789"),
):
    _Resolver.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list(first))
# Dates and times, as both readers write them (the YAML timestamp type).
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:timestamp",
    re.compile(
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        re.X,
    ),
    list("0123456789"),
)


class _Constructor(yaml.constructor.SafeConstructor):
    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise Ambiguous("duplicate key")
                seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping

    def construct_plain_str(self, node: Any) -> str:
        value = self.construct_scalar(node)
        if not node.style and _NUMBERISH.match(value):  # plain (the C parser says "")
            raise Ambiguous(value)
        return str(value)

    def construct_int(self, node: Any) -> int:
        return int(self.construct_scalar(node))

    def construct_float(self, node: Any) -> float:
        return float(self.construct_scalar(node))


_Constructor.yaml_constructors = {
    **yaml.constructor.SafeConstructor.yaml_constructors,
    "tag:yaml.org,2002:str": _Constructor.construct_plain_str,
    "tag:yaml.org,2002:int": _Constructor.construct_int,
    "tag:yaml.org,2002:float": _Constructor.construct_float,
}


class _Loader(CParser, _Constructor, _Resolver):
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


def read(text: str) -> Any:
    """The document, or Ambiguous / a YAML error (the full loader then reads it)."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
