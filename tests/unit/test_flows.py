"""The flow decoder, attribution and buckets, on messages built as exporters build them."""

from __future__ import annotations

import ipaddress
import struct

from noc.flows.aggregate import Aggregator
from noc.flows.attribute import OUTSIDE, Attribution, Prefixes
from noc.flows.crosscheck import CrossCheck
from noc.flows.decode import MAX_PENDING, Decoder, FlowRecord
from noc.flows.store import ranked
from noc.lab import netflow as nf

T0 = 1_796_600_000  # an export time (s)
EXP = "127.0.1.1"
SITE_A, SITE_B = "198.18.1.0/24", "198.18.2.0/24"
PUBLIC, REMOTE = "203.0.113.10", "198.51.100.7"


def ip(text: str) -> int:
    return int(ipaddress.ip_address(text))


def row(
    src: str,
    dst: str,
    octets: int,
    *,
    sport: int = 50000,
    dport: int = 443,
    nat_src: str = "0.0.0.0",
    nat_dst: str = "0.0.0.0",
    start_ms: int = T0 * 1000 - 10_000,
    end_ms: int = T0 * 1000,
) -> tuple[int, ...]:
    return (
        ip(src),
        ip(dst),
        sport,
        dport,
        6,
        octets,
        max(octets // 1000, 1),
        1,
        2,
        start_ms,
        end_ms,
        ip(nat_src),
        ip(nat_dst),
    )


def ipfix(*sets: bytes, domain: int = 1, seq: int = 0) -> bytes:
    return nf.message(10, sets, T0, seq, domain)


def attribution() -> Attribution:
    sites = Prefixes.of(
        [(ipaddress.ip_network(SITE_A), "kel-a"), (ipaddress.ip_network(SITE_B), "kel-b")]
    )
    return Attribution(sites, Prefixes(), {443: "web", 53: "dns"})


def test_ipfix_template_then_data_gives_the_records() -> None:
    d = Decoder(frozenset({EXP}))
    msg = ipfix(
        nf.template_set(10, 256, nf.IPV4_NAT),
        nf.data_set(256, nf.IPV4_NAT, [row("198.18.1.5", REMOTE, 1500, nat_src=PUBLIC)]),
    )
    (r,) = d.decode(msg, EXP)
    assert (r.src, r.dst, r.octets, r.dst_port, r.nat_src) == (
        ip("198.18.1.5"),
        ip(REMOTE),
        1500,
        443,
        ip(PUBLIC),
    )
    assert r.end_ms == T0 * 1000 and d.records == 1 and not d.dropped


def test_data_before_its_template_is_held_and_decoded_when_it_comes() -> None:
    d = Decoder()
    data = nf.data_set(256, nf.IPV4_NAT, [row("198.18.1.5", REMOTE, 700)])
    assert d.decode(ipfix(data), EXP) == []
    assert d.decode(ipfix(data), EXP) == []
    got = d.decode(ipfix(nf.template_set(10, 256, nf.IPV4_NAT)), EXP)
    assert [r.octets for r in got] == [700, 700]
    assert not d.dropped


def test_held_sets_are_bounded_and_what_gives_way_is_counted() -> None:
    d = Decoder()
    data = nf.data_set(300, nf.IPV4_NAT, [row("198.18.1.5", REMOTE, 1)])
    for _ in range(MAX_PENDING + 5):
        d.decode(ipfix(data), EXP)
    assert d.dropped["template unknown"] == 5
    assert len(d.decode(ipfix(nf.template_set(10, 300, nf.IPV4_NAT)), EXP)) == MAX_PENDING
    assert d.held_bytes == 0


def test_an_exporter_that_restarts_with_another_layout_loses_nothing() -> None:
    d = Decoder()
    d.decode(ipfix(nf.template_set(10, 256, nf.IPV4_NAT), seq=50_000), EXP)
    assert (
        len(
            d.decode(
                ipfix(nf.data_set(256, nf.IPV4_NAT, [row("198.18.1.5", REMOTE, 5)]), seq=50_001),
                EXP,
            )
        )
        == 1
    )
    # Restarted: sequence from 0, ID 256 now another layout, its template not yet sent.
    short = ((8, 4), (12, 4), (1, 4))
    data = nf.data_set(256, short, [(ip("198.18.2.9"), ip(REMOTE), 77)] * 2)
    assert d.decode(ipfix(data, seq=0), EXP) == []
    assert d.restarts == 1
    got = d.decode(ipfix(nf.template_set(10, 256, short), seq=2), EXP)
    assert [r.octets for r in got] == [77, 77]


def test_templates_are_kept_per_exporter_and_domain() -> None:
    d = Decoder()
    d.decode(ipfix(nf.template_set(10, 256, nf.IPV4_NAT), domain=1), EXP)
    data = nf.data_set(256, nf.IPV4_NAT, [row("198.18.1.5", REMOTE, 9)])
    assert d.decode(ipfix(data, domain=2), EXP) == []  # another domain: not its template
    assert d.decode(ipfix(data, domain=1), "127.0.1.2") == []  # another exporter
    assert len(d.decode(ipfix(data, domain=1), EXP)) == 1


def test_a_template_id_reused_with_another_layout_decodes_by_the_new_one() -> None:
    d = Decoder()
    d.decode(ipfix(nf.template_set(10, 256, nf.IPV4_NAT)), EXP)
    short = ((8, 4), (12, 4), (1, 4))  # src, dst, octets in 4 bytes
    got = d.decode(
        ipfix(
            nf.template_set(10, 256, short),
            nf.data_set(256, short, [(ip("198.18.2.9"), ip(REMOTE), 4242)]),
        ),
        EXP,
    )
    assert [(r.src, r.octets) for r in got] == [(ip("198.18.2.9"), 4242)]
    assert d.replaced == 1


def test_the_sampling_rate_of_an_option_record_scales_the_counts() -> None:
    d = Decoder()
    got = d.decode(
        ipfix(
            nf.options_template_set(10, 400, nf.SCOPE, nf.SAMPLING),
            nf.data_set(400, (*nf.SCOPE, *nf.SAMPLING), [(1, 100)]),
            nf.template_set(10, 256, nf.IPV4_NAT),
            nf.data_set(256, nf.IPV4_NAT, [row("198.18.1.5", REMOTE, 1500)]),
        ),
        EXP,
    )
    assert [r.octets for r in got] == [150_000]


def test_netflow_v9_and_v5() -> None:
    d = Decoder()
    uptime = 3_600_000
    fields = ((8, 4), (12, 4), (1, 4), (2, 4), (22, 4), (21, 4))
    msg = nf.message(
        9,
        [
            nf.template_set(9, 260, fields),
            nf.data_set(
                260, fields, [(ip("198.18.1.1"), ip(REMOTE), 5000, 5, uptime - 4000, uptime)]
            ),
        ],
        T0,
        1,
        7,
        uptime,
    )
    (r,) = d.decode(msg, EXP)
    assert (r.octets, r.start_ms, r.end_ms) == (5000, T0 * 1000 - 4000, T0 * 1000)
    v5 = nf.v5(
        [(ip("198.18.1.1"), ip(REMOTE), 1, 53, 17, 80, 1, uptime - 10, uptime)], T0, uptime, 10
    )
    (r5,) = d.decode(v5, EXP)
    assert (r5.octets, r5.dst_port, r5.proto) == (800, 53, 17)  # sampled 1 in 10


def test_hostile_input_is_counted_never_raised_and_never_held_unbounded() -> None:
    d = Decoder(frozenset({EXP}))
    good = ipfix(
        nf.template_set(10, 256, nf.IPV4_NAT),
        nf.data_set(256, nf.IPV4_NAT, [row("198.18.1.5", REMOTE, 1500)] * 3),
    )
    for cut in range(0, len(good)):  # every truncation
        d.decode(good[:cut], EXP)
    d.decode(good, "192.0.2.66")  # a spoofed exporter
    d.decode(b"\x00\x0a" + b"\xff" * 65_505, EXP)  # a 64 KB datagram of garbage
    # a set length pointing past the end; a template of 0 fields; a 64 KB data set
    d.decode(ipfix(struct.pack(">HH", 256, 9000)), EXP)
    d.decode(ipfix(nf.raw_set(2, struct.pack(">HH", 256, 0))), EXP)
    d.decode(ipfix(nf.raw_set(256, b"\x01" * 65_000)), EXP)
    assert d.dropped["unknown exporter"] == 1
    assert d.dropped["malformed"] >= 10
    total_held = sum(len(x.pending) for x in d.domains.values())
    assert total_held <= MAX_PENDING
    assert d.decode(good, EXP) and d.records >= 3


def test_attribution_by_site_post_nat_and_direction() -> None:
    a = attribution()
    up = FlowRecord(EXP, ip("198.18.1.5"), ip(REMOTE), 50000, 443, 6, 1, 1, 0, 0, 0, 0)
    down = FlowRecord(
        EXP, ip(REMOTE), ip(PUBLIC), 443, 50000, 6, 1, 1, 0, 0, 0, 0, 0, ip("198.18.2.5")
    )
    stray = FlowRecord(EXP, ip(REMOTE), ip(PUBLIC), 53, 999, 17, 1, 1, 0, 0, 0, 0)
    assert (a.place(up).site, a.place(up).direction, a.place(up).app) == ("kel-a", "out", "web")
    assert (a.place(down).site, a.place(down).direction) == ("kel-b", "in")
    assert (a.place(stray).site, a.place(stray).app) == (OUTSIDE, "dns")
    a.uplink_if = 1
    other_port = FlowRecord(EXP, ip("198.18.1.5"), ip(REMOTE), 1, 443, 6, 1, 1, 3, 4, 0, 0)
    assert not a.crosses_uplink(other_port) and a.crosses_uplink(up)


def test_a_long_flow_is_spread_over_its_minutes_and_nothing_is_lost() -> None:
    agg = Aggregator(attribution())
    start, end = (T0 - 150) * 1000, T0 * 1000  # 150 s: three minutes or four
    r = FlowRecord(EXP, ip("198.18.1.5"), ip(REMOTE), 1, 443, 6, 150_000, 150, 0, 0, start, end)
    agg.add([r], T0)
    rows = agg.take()
    assert sum(x.octets for x in rows) == 150_000
    assert len({x.minute for x in rows}) >= 3
    assert max(x.octets for x in rows) <= 60_000 + 1
    assert sum(x.flows for x in rows) == 1
    assert agg.take() == []


def test_ranked_talkers() -> None:
    got = ranked([("a", "in", 10, 1), ("b", "out", 30, 2), ("a", "out", 5, 1)], 10)
    assert [(t.name, t.in_octets, t.out_octets, t.flows) for t in got] == [
        ("b", 0, 30, 2),
        ("a", 10, 5, 2),
    ]


def test_held_sets_take_the_sampling_rate_sent_after_their_template() -> None:
    d = Decoder()
    assert (
        d.decode(ipfix(nf.data_set(256, nf.IPV4_NAT, [row("198.18.1.5", REMOTE, 10)])), EXP) == []
    )
    got = d.decode(
        ipfix(
            nf.template_set(10, 256, nf.IPV4_NAT),
            nf.options_template_set(10, 400, nf.SCOPE, nf.SAMPLING),
            nf.data_set(400, (*nf.SCOPE, *nf.SAMPLING), [(1, 10)]),
        ),
        EXP,
    )
    assert [r.octets for r in got] == [100]


def test_the_cross_check_compares_a_settled_window_with_the_counters() -> None:
    c = CrossCheck(settle_s=120, window_s=300)
    base = 1_796_600_040  # a minute's start
    for k in range(0, 13):  # polled every 60 s at 30 s past the minute, 1 MB a second
        c.sample(base + 30 + 60 * k, 10**9 + (30 + 60 * k) * 1_000_000)
    flows = {(base + 60 * m, "in"): 60_000_000 // 10 for m in range(13)}  # a tenth: unsaid
    c.check(flows, base + 60 * 9 + 5)
    assert c.window_end == base + 420 and c.snmp_octets == 300_000_000
    assert c.ratio is not None and abs(c.ratio - 0.1) < 1e-9
    c.sample(base + 60 * 14, 5)  # the counters went back (a reboot): no verdict on it
    c.check(flows, base + 60 * 16 + 5)
    assert c.window_end == base + 420
