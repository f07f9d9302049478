from __future__ import annotations

from noc.inventory import Topology


def test_paths_children_and_descendants() -> None:
    topo = Topology({"core": None, "bts": "core", "kel1": "bts", "kel2": "bts", "srv": "core"})
    assert topo.path("kel1") == ["core", "bts", "kel1"]
    assert topo.ancestors("kel1") == ["bts", "core"]
    assert topo.children("bts") == ["kel1", "kel2"]
    assert topo.roots() == ["core"]
    assert sorted(topo.descendants("core")) == ["bts", "kel1", "kel2", "srv"]
    assert topo.descendants("kel2") == []
