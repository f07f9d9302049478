"""The text exposition format (0.0.4), written directly."""

from __future__ import annotations

import math
from collections.abc import Iterable

from prometheus_client.core import Metric


def _escape_value(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _format_value(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(families: Iterable[Metric]) -> bytes:
    """The text exposition format (0.0.4) of `families`, as generate_latest writes it but several
    times faster: label values repeat (device, site, interface names), so each is escaped once
    per scrape, and nothing is sorted."""
    escaped: dict[str, str] = {}
    out: list[str] = []
    for family in families:
        name = f"{family.name}_total" if family.type == "counter" else family.name
        doc = family.documentation.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {name} {doc}\n# TYPE {name} {family.type}\n")
        for sample in family.samples:
            if sample.labels:
                parts = []
                for key, value in sample.labels.items():
                    text = escaped.get(value)
                    if text is None:
                        text = escaped[value] = _escape_value(value)
                    parts.append(f'{key}="{text}"')
                out.append(f"{sample.name}{{{','.join(parts)}}} {_format_value(sample.value)}\n")
            else:
                out.append(f"{sample.name} {_format_value(sample.value)}\n")
    return "".join(out).encode()
