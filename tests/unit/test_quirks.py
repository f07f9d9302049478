"""What real agents get wrong, one quirk at a time."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from noc.polling.decode import decode_details, interface_speed
from noc.snmp.iftypes import if_type_name, if_types
from noc.snmp.snmprec import RecordingError, load_snmprec
from noc.snmp.values import Tag, Value
from noc.snmp.vendors import identify


def test_a_damaged_line_is_skipped_with_one_warning_naming_file_line_and_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "x.snmprec"
    path.write_text(
        "1.3.6.1.2.1.1.1.0|4|ok\n1.3.6.1.4.1.9.1|4x|abc\n1.3.6.1.4.1.9.2|4x|0\n"
        "1.3.6.1.4.1.9.3|2|7\n"
    )
    with caplog.at_level(logging.WARNING):
        values = load_snmprec(path)
    assert len(values) == 2 and values[(1, 3, 6, 1, 4, 1, 9, 3)].value == 7
    [record] = [r for r in caplog.records if "skipped" in r.getMessage()]
    message = record.getMessage()
    assert str(path) in message and "2 unreadable line(s) (2, 3)" in message
    assert "line 2: non-hexadecimal" in message
    with pytest.raises(RecordingError, match="line 2"):
        load_snmprec(path, strict=True)


def test_a_speed_in_the_wrong_unit_is_suspect_and_never_a_capacity() -> None:
    # Cambium ePMP: bit/s in ifHighSpeed, no ifSpeed
    assert interface_speed(1_000_000_000, None) == (
        None,
        "ifHighSpeed 1,000,000,000 Mbit/s is implausible; speed unknown",
    )
    # ifHighSpeed far above an unsaturated ifSpeed: ifSpeed is believed
    speed, why = interface_speed(1_000_000_000, 1_000_000_000)
    assert speed == 1_000_000_000 and why is not None and "ifSpeed used" in why
    assert interface_speed(10_000, 4_294_967_295) == (10_000_000_000, None)  # 10G, saturated
    assert interface_speed(1000, 1_000_000_000) == (1_000_000_000, None)
    assert interface_speed(0, 0) == (None, None)  # 0 is unknown, as LibreNMS reads it
    assert interface_speed(None, 100_000_000) == (100_000_000, None)
    labels = decode_details({"ifHighSpeed": {(1,): Value(Tag.GAUGE32, 220_000_000)}})
    assert labels[1].speed_bps is None and labels[1].speed_suspect


def test_display_strings_that_are_not_utf8_are_latin1_and_lose_nothing() -> None:
    raw = "radio-pasar-bogor-é".encode("latin-1")
    value = Value(Tag.OCTET_STRING, raw)
    assert value.as_text() == "radio-pasar-bogor-é"
    assert "\ufffd" not in value.as_text()
    assert value.as_text().encode("latin-1") == raw
    assert Value(Tag.OCTET_STRING, "Kantor é".encode()).as_text() == "Kantor é"


def test_every_iana_interface_type_has_its_name() -> None:
    assert if_type_name(244) == "wwanPP2"
    assert if_type_name(246) == "ifPwType"
    assert if_type_name(247) == "ilan"
    assert if_type_name(6) == "ethernetCsmacd" and if_type_name(290) == "ghn"
    assert len(if_types()) >= 280
    assert if_type_name(9999) == "9999" and if_type_name(None) is None


def test_vendor_and_model_from_the_sys_object_id() -> None:
    assert identify(".1.3.6.1.4.1.9.1.1208") == ("Cisco", "Catalyst WS-C2960X-48FPS-L")
    assert identify("1.3.6.1.4.1.2011.2.23.95") == ("Huawei", "S5328C-EI")
    assert identify("1.3.6.1.4.1.2011.2.23.999") == ("Huawei", None)
    assert identify("1.3.6.1.4.1.424242.1") == (None, None)
    assert identify("not an oid") == (None, None)


def test_a_walk_is_cut_at_its_row_limit_while_it_walks() -> None:
    import asyncio

    from pydantic import SecretStr

    from noc.snmp.client import Budget, RequestStats, SnmpBudgetExceeded, Target, V2cAuth
    from noc.snmp.fake import FakeSnmpClient

    column = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
    mib: dict[tuple[int, ...], Value] = {
        (*column, n): Value(Tag.OCTET_STRING, b"x" * 100) for n in range(1, 20_001)
    }
    client = FakeSnmpClient({"big": mib})
    target = Target("big", "127.0.0.1", 161, V2cAuth(SecretStr("x")))
    stats = RequestStats(budget=Budget(max_rows=1000, max_requests=10_000))
    with pytest.raises(SnmpBudgetExceeded, match="exceeded 1,000 rows"):
        asyncio.run(client.bulk_walk(target, [column], stats))
    assert stats.requests <= 1000 // 25 + 2  # stopped as the limit was passed, not at the end
    stats = RequestStats(budget=Budget(max_requests=5))
    with pytest.raises(SnmpBudgetExceeded, match="more than 5 requests"):
        asyncio.run(client.bulk_walk(target, [column], stats))
