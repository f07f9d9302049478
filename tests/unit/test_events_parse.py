"""Syslog as MikroTik, Cisco and util-linux send it; what a line or a trap means; which device
a message is from."""

from __future__ import annotations

from noc.events.log import LoggedEvent
from noc.events.match import Directory
from noc.events.meaning import Hint, from_line, from_trap
from noc.events.process import collapse
from noc.events.receiver import describe
from noc.events.syslog import parse, split_stream
from noc.events.traps import (
    INFORM,
    NOT_IN_TIME_WINDOWS,
    LocalEngine,
    Notification,
    V3User,
    decode,
)
from noc.inventory import load_inventory
from noc.snmp import ber, v3
from noc.snmp.values import Tag, Value, format_oid, parse_oid
from tests.conftest import INVENTORY


def test_rfc3164_and_5424_and_bare_lines() -> None:
    old = parse(b"<190>Dec  7 09:12:44 bts-07 interface,info: ether1 link down")
    assert (old.facility, old.severity, old.hostname) == (23, 6, "bts-07")
    assert (old.app, old.text) == ("interface,info", "ether1 link down")
    new = parse(b"<189>1 2026-12-07T09:12:44+07:00 core-2 - - - - %SYS-5-CONFIG_I: x")
    assert (new.hostname, new.app, new.text) == ("core-2", None, "%SYS-5-CONFIG_I: x")
    bare = parse(b"<30>ether2 link up (speed 1G, full duplex)")
    assert bare.text.startswith("ether2 link up") and bare.hostname is None


def test_tcp_streams_by_count_and_by_line() -> None:
    buffer = bytearray(b"12 <13>hello ab<13>line one\n<13>li")
    assert split_stream(buffer) == [b"<13>hello ab", b"<13>line one"]
    assert buffer == bytearray(b"<13>li")


def test_what_lines_mean() -> None:
    def meaning(text: str) -> Hint | None:
        return from_line(parse(text.encode()))

    assert meaning("<30>Dec  7 09:00:00 bts-07 ether1 link down") == Hint(
        "link_down", if_name="ether1"
    )
    changed = meaning("<30>Dec  7 09:00:00 bts-07 system,info filter rule added by budi")
    assert changed == Hint("config_changed", author="budi")
    assert meaning(
        "<189>Dec  7 09:00:00 core-2 %LINEPROTO-5-UPDOWN: Line protocol on Interface "
        "GigabitEthernet0/1, changed state to down"
    ) == Hint("link_down", if_name="GigabitEthernet0/1")
    assert meaning(
        "<189>Dec  7 09:00:00 core-2 %SYS-5-CONFIG_I: Configured from console by rina on vty0"
    ) == Hint("config_changed", author="rina")
    assert meaning("<30>Dec  7 09:00:00 bts-07 user admin logged in from 127.0.0.9 via ssh") == (
        Hint("login", author="admin")
    )
    assert meaning("<30>Dec  7 09:00:00 bts-07 dhcp,info lease given") is None


def test_a_link_trap_names_its_interface() -> None:
    note = Notification(
        "2c",
        "1.3.6.1.6.3.1.1.5.3",
        (
            ("1.3.6.1.2.1.2.2.1.1.7", Value(Tag.INTEGER, 7)),
            ("1.3.6.1.2.1.31.1.1.1.1.7", Value(Tag.OCTET_STRING, b"sfp1")),
        ),
    )
    assert from_trap(note) == Hint("link_down", if_index=7, if_name="sfp1")


def test_a_message_is_matched_in_order() -> None:
    inv = load_inventory(INVENTORY)
    d = Directory(inv)
    core = str(inv.device("core-1").address)
    assert d.match(core).how == "source"
    assert d.match("127.0.99.1", agent=core).device == "core-1"
    assert d.match("127.0.99.1", hostname="BTS-07.kominfo.local").device == "bts-07"
    assert d.match(f"::ffff:{core}").device == "core-1"
    assert d.match("127.0.99.1", hostname="unknown").how == "unknown"


def test_a_trap_reads_as_a_line() -> None:
    note = Notification(
        "2c",
        "1.3.6.1.6.3.1.1.5.3",
        (
            ("1.3.6.1.2.1.1.3.0", Value(Tag.TIMETICKS, 100)),
            ("1.3.6.1.2.1.2.2.1.1.10", Value(Tag.INTEGER, 10)),
            ("1.3.6.1.2.1.2.2.1.8.10", Value(Tag.INTEGER, 2)),
            ("1.3.6.1.4.1.14988.9", Value(Tag.OCTET_STRING, b"x")),
        ),
        community=b"rahasia",
    )
    line = describe(note)
    assert line == "linkDown (v2c) ifIndex.10=10 ifOperStatus.10=down 1.3.6.1.4.1.14988.9=x"
    assert "rahasia" not in line


def test_a_storm_of_one_message_is_one_log_row_that_counts_it() -> None:
    same = LoggedEvent(1.0, "core-1", "127.0.1.1", "trap", "link_up", "linkUp (v2c) ifIndex.12=12")
    other = LoggedEvent(1.5, None, "127.0.99.1", "trap", "link_up", "linkUp (v2c) ifIndex.12=12")
    rows = collapse([same] * 1000 + [other])
    assert [(r.device, r.text) for r in rows] == [
        ("core-1", "linkUp (v2c) ifIndex.12=12 (repeated 1000 times)"),
        (None, "linkUp (v2c) ifIndex.12=12"),
    ]
    assert collapse([same]) == [same]


def test_a_v3_inform_to_our_engine_is_answered_and_a_stale_clock_gets_a_report() -> None:
    """The receiver is the authoritative engine of a v3 inform: a discovery probe gets our
    engine ID, an inform with our boots and time gets a sealed Response, and one outside the
    150 s window a signed usmStatsNotInTimeWindows Report with our clock."""

    local = LocalEngine.named("dc-1", 1_000.0)
    user = V3User("sha256", b"lab-auth-passphrase", b"lab-priv-passphrase")
    users = {"noc-monitor": user}
    probe_usm = ber.encode_usm(b"", 0, 0, b"", b"", b"")
    probe_pdu = ber.tlv(
        0xA0, ber.encode_integer(7) + ber.encode_integer(0) * 2 + ber.tlv(0x30, b"")
    )
    probe = ber.encode_v3_message(
        7, 65507, 0x04, probe_usm, ber.encode_scoped_pdu(b"", b"", probe_pdu)
    )
    found = decode(probe, None, users, local, 1_010.0)
    assert found.reason == "v3 engine discovery"  # type: ignore[union-attr]
    report = ber.decode_v3_message(found.reply)  # type: ignore[union-attr]
    assert (report.engine_id, report.boots, report.engine_time) == (local.engine_id, 1000, 10)

    keys = v3.keys_for("sha256", user.auth_key, user.priv_key, local.engine_id)
    varbinds = b"".join(
        ber.tlv(0x30, ber.encode_oid(parse_oid(o)) + ber.encode_value(v))
        for o, v in [
            ("1.3.6.1.2.1.1.3.0", Value(Tag.TIMETICKS, 5)),
            ("1.3.6.1.6.3.1.1.4.1.0", Value(Tag.OBJECT_IDENTIFIER, "1.3.6.1.6.3.1.1.5.4")),
        ]
    )
    inform = ber.tlv(
        INFORM, ber.encode_integer(42) + ber.encode_integer(0) * 2 + ber.tlv(0x30, varbinds)
    )
    scoped = ber.encode_scoped_pdu(local.engine_id, b"", inform)

    def sent(boots: int, engine_time: int) -> bytes:
        return v3.seal(
            keys,
            9,
            65507,
            local.engine_id,
            boots,
            engine_time,
            b"noc-monitor",
            scoped,
            bytes(8),
            reportable=True,
        )

    note = decode(sent(1000, 12), None, users, local, 1_012.0)
    assert isinstance(note, Notification) and note.inform and note.version == "3"
    assert note.answer and ber.decode_v3_message(note.answer).engine_id == local.engine_id
    stale = decode(sent(1000, 12), None, users, local, 1_400.0)
    assert stale.reason == "v3 not in time window"  # type: ignore[union-attr]
    told = ber.decode_v3_message(stale.reply)  # type: ignore[union-attr]
    assert told.engine_time == 400 and told.flags & 0x01  # our clock, signed
    assert v3.verify(keys, told.raw, told.auth_offset, told.auth_params)
    (reported,) = ber.decode_scoped_pdu(told.data).pdu.decoded()
    assert format_oid(reported[0]) == NOT_IN_TIME_WINDOWS
