"""The per-vendor models on the export formats devices print: volatile lines dropped, secrets
hashed with a stable keyed token, cut output refused."""

from __future__ import annotations

from typing import Any

from noc.config.clean import EMPTY, TRUNCATED, clean, secret_token
from noc.config.compliance import check, load_rules
from noc.config.models import CISCO_IOS, HUAWEI, MIKROTIK
from noc.config.schedule import due
from noc.inventory import load_inventory
from tests.conftest import INVENTORY, ROOT

KEY = b"k" * 32
ROUTEROS_7 = """# 2026-12-07 15:00:01 by RouterOS 7.16.2
# software id = ABCD-1234
#
# model = RB4011iGS+
/interface wireless security-profiles set [ find default=yes ] wpa2-pre-shared-key="s3cret wifi"
/ppp secret add name=kel-01 password=ppp-pass service=pppoe
/snmp community set [ find default=yes ] name=public
/system identity set name=bts-07
/system ntp client set enabled=yes"""
ROUTEROS_6_HEADER = "# dec/07/2026 15:00:01 by RouterOS 6.49.10"
IOS = """Building configuration...

Current configuration : 4123 bytes
!
! Last configuration change at 09:12:44 WIB Mon Dec 7 2026 by rina
! NVRAM config last updated at 09:13:02 WIB Mon Dec 7 2026 by admin
!
hostname core-2
enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0
username noc privilege 15 password 7 0822455D0A16
snmp-server community bogor-ro RO
ntp clock-period 17179861
end"""


def test_routeros_header_dropped_secrets_hashed_and_stable() -> None:
    first = clean(MIKROTIK, [("/export terse show-sensitive", ROUTEROS_7)], KEY)
    later = ROUTEROS_7.replace("2026-12-07 15:00:01", "2026-12-08 03:00:09")
    again = clean(MIKROTIK, [("/export terse show-sensitive", later)], KEY)
    assert first.text is not None and first.text == again.text
    assert "by RouterOS" not in first.text
    for secret in ("s3cret wifi", "ppp-pass", "public"):
        assert secret not in first.text
    assert f"password={secret_token(KEY, 'ppp-pass')}" in first.text
    changed = clean(MIKROTIK, [("x", ROUTEROS_7.replace("ppp-pass", "ppp-pass2"))], KEY)
    assert changed.text is not None and secret_token(KEY, "ppp-pass2") in changed.text
    v6 = ROUTEROS_7.replace("# 2026-12-07 15:00:01 by RouterOS 7.16.2", ROUTEROS_6_HEADER)
    assert "RouterOS 6" not in (clean(MIKROTIK, [("x", v6)], KEY).text or "RouterOS 6")


def test_routeros_legacy_export_chosen_from_the_package_list() -> None:
    v6 = " #   NAME                    VERSION\n 0   routeros-mipsbe         6.49.10"
    v7 = "# NAME      VERSION  BUILD-TIME           SIZE\n0 routeros  7.16.2   2024-11-26 12:33:25"
    assert MIKROTIK.config_command_for(v6) == "/export terse"
    assert MIKROTIK.config_command_for(v7) == "/export terse show-sensitive"


def test_a_cut_export_or_an_interrupted_one_or_nothing_is_refused() -> None:
    cut = ROUTEROS_7.split("/snmp")[0]
    assert clean(MIKROTIK, [("x", cut)], KEY).reason == TRUNCATED
    assert clean(MIKROTIK, [("x", ROUTEROS_7 + "\ninterrupted")], KEY).reason == TRUNCATED
    assert clean(MIKROTIK, [("x", "  \n")], KEY).reason == EMPTY
    assert clean(CISCO_IOS, [("x", IOS[: len(IOS) - 10])], KEY).reason == TRUNCATED
    refused = clean(MIKROTIK, [("x", "bad command name export (line 1 column 2)")], KEY)
    assert refused.reason is not None and "refused the command" in refused.reason
    assert clean(HUAWEI, [("x", "sysname x\n#\nreturn")], KEY).reason is None


def test_ios_header_and_clock_lines_dropped_author_read_first() -> None:
    out = clean(CISCO_IOS, [("show running-config", IOS)], KEY)
    assert out.author == "rina"
    assert out.text is not None
    volatile = ("Building", "Current configuration", "Last configuration", "NVRAM", "clock-period")
    assert [v for v in volatile if v in out.text] == []
    for secret in ("$1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "0822455D0A16", "bogor-ro"):
        assert secret not in out.text
    assert out.text.rstrip().endswith("end")


def test_compliance_rules_of_the_project_on_hashed_text() -> None:
    rules = load_rules(ROOT / "config-rules.yaml")
    kept = clean(MIKROTIK, [("x", ROUTEROS_7)], KEY).text
    assert kept is not None
    found = {v.rule for v in check("bts-07", "mikrotik_routeros", kept, rules, KEY)}
    assert "routeros-snmp-not-public" in found  # `public`, kept only as its token
    assert "routeros-no-telnet" in found and "routeros-ntp" not in found
    ios = clean(CISCO_IOS, [("x", IOS)], KEY).text
    assert ios is not None
    ios_found = {v.rule for v in check("core-2", "cisco_ios", ios, rules, KEY)}
    assert ios_found == {"ios-password-encryption", "ios-logging-host"}


def test_a_device_is_due_after_its_interval_or_when_asked() -> None:
    inv = load_inventory(INVENTORY)
    a, b, c = inv.devices[:3]
    last: dict[str, dict[str, Any]] = {
        a.name: {"at": 1000.0, "status": "failed"},
        b.name: {"at": 1000.0},
    }
    chosen = due([a, b, c], last, 1000.0 + 3599, lambda _: 3600.0)
    assert [d.name for d in chosen] == [c.name]  # never backed up: at once
    assert due([a, b, c], last, 1000.0 + 3600, lambda _: 3600.0) == [a, b, c]
    asked = due([a, b], last, 1001.0, lambda _: 3600.0, wanted={b.name})
    assert [d.name for d in asked] == [b.name]
