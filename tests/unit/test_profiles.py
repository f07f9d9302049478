from __future__ import annotations

from pathlib import Path

import pytest

from noc.inventory.profiles import ProfileError, available_profiles, load_profile


def test_every_kind_has_a_profile_that_extends_if_mib() -> None:
    assert {"if_mib", "mikrotik_routeros", "ubiquiti_airos", "cisco_ios", "net_snmp_linux"} <= (
        available_profiles()
    )
    for name in ("mikrotik_routeros", "ubiquiti_airos", "cisco_ios", "net_snmp_linux"):
        profile = load_profile(name)
        assert profile.scalars["sysUpTime"] == "1.3.6.1.2.1.1.3.0"
        assert profile.tables["interfaces"].columns["ifHCInOctets"].oid == "1.3.6.1.2.1.31.1.1.1.6"
    assert "mikrotik_wireless" in load_profile("mikrotik_routeros").tables
    assert "airos_wireless" in load_profile("ubiquiti_airos").tables


def test_slow_columns_are_marked() -> None:
    columns = load_profile("if_mib").tables["interfaces"].columns
    assert columns["ifName"].slow and columns["ifAlias"].slow and columns["ifHighSpeed"].slow
    assert not columns["ifHCInOctets"].slow


def test_profile_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nextends: [b]\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: [a]\n")
    with pytest.raises(ProfileError, match="cycle"):
        load_profile("a", tmp_path)
