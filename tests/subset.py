"""A smaller inventory cut from the shipped one: chosen devices, their links and maintenance."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML


def subset_inventory(
    source: Path, target: Path, keep: set[str], port: int | None = None, **overrides: object
) -> Path:
    """Write `target`: only devices in `keep` (and links between them), with tier overrides
    such as poll_interval_s=5 applied to every tier, and every device on `port` if given."""
    yaml = YAML(typ="safe")
    doc = yaml.load(source.read_text())
    doc["devices"] = [d for d in doc["devices"] if d["name"] in keep]
    for device in doc["devices"]:
        if port is not None:
            device["port"] = port
        if device.get("parent") not in keep:
            device.pop("parent", None)
    doc["links"] = [
        ln
        for ln in doc["links"]
        if ln["a"]["device"] in keep and (ln.get("b") is None or ln["b"]["device"] in keep)
    ]
    doc["maintenance"] = []
    doc["services"] = [
        s for s in doc.get("services", []) if all(d in keep for d in s.get("runs_on", []))
    ]
    if doc.get("dr"):
        kept = {ln["name"] for ln in doc["links"]}
        doc["dr"]["links"] = [name for name in doc["dr"]["links"] if name in kept]
    for tier in doc["tiers"].values():
        tier.update(overrides)
    with target.open("w") as out:
        yaml.dump(doc, out)
    return target
