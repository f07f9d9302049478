"""The lean client against real agents: net-snmp's snmpd and the lab, compared with pysnmp."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from noc.inventory import load_inventory
from noc.polling.targets import build_targets
from noc.snmp.client import (
    Column,
    RequestStats,
    SnmpAuthError,
    SnmpClient,
    SnmpProtocolError,
    SnmpTimeout,
    Target,
    V2cAuth,
    V3Auth,
)
from noc.snmp.lean_client import LeanClient
from noc.snmp.pysnmp_client import PysnmpClient
from noc.snmp.values import Oid, Tag, Value
from tests.conftest import Lab, Loop
from tests.snmpd import V3_AUTH, V3_PRIV, V3_USER, snmpd

pytestmark = pytest.mark.integration

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
IF_TABLE = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IF_X = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
COLUMNS: list[Oid] = [
    SYSTEM,
    *[(*IF_TABLE, c) for c in (1, 2, 3, 5, 7, 8, 10, 16)],
    *[(*IF_X, c) for c in (1, 6, 10, 15, 18)],
]
SCALARS: list[Oid] = [(1, 3, 6, 1, 2, 1, 1, n, 0) for n in (1, 2, 3, 4, 5, 6, 7)]


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with snmpd(tmp_path_factory.mktemp("snmpd")) as port:
        yield port


def v2c(port: int, community: str = "public", **kw: float) -> Target:
    return Target("snmpd", "127.0.0.1", port, V2cAuth(SecretStr(community)), **kw)  # type: ignore[arg-type]


def v3(port: int, auth: str = V3_AUTH, priv: str = V3_PRIV, **kw: float) -> Target:
    cred = V3Auth(V3_USER, "sha256", SecretStr(auth), "aes128", SecretStr(priv))
    return Target("snmpd", "127.0.0.1", port, cred, **kw)  # type: ignore[arg-type]


Answers = tuple[dict[Oid, Value], dict[Oid, Column]]


async def both(target: Target) -> tuple[Answers, Answers]:
    results: list[Answers] = []
    for client in (LeanClient(), PysnmpClient()):
        c: SnmpClient = client
        try:
            got = await c.get(target, SCALARS, RequestStats())
            walked = await c.bulk_walk(target, COLUMNS, RequestStats())
            results.append((got, walked))
        finally:
            await c.close()
    return results[0], results[1]


MOVING = {Tag.TIMETICKS, Tag.COUNTER32, Tag.COUNTER64}


def same_answers(first: Any, second: Any) -> None:
    """The same OIDs with the same types and values; clocks and counters (read a moment
    later by the second client) may only have moved forward."""
    (got_a, walk_a), (got_b, walk_b) = first, second
    pairs = [(got_a, got_b)] + [(walk_a[c], walk_b[c]) for c in walk_b]
    assert set(walk_a) == set(walk_b)
    for a, b in pairs:
        assert a.keys() == b.keys()
        for key, value in a.items():
            other = b[key]
            assert value.tag == other.tag, key
            if value.tag in MOVING:
                assert value.as_int() <= other.as_int(), key
            else:
                assert value == other, key


@pytest.mark.parametrize("security", ["v2c", "v3 authPriv SHA-256/AES-128"])
def test_snmpd_answers_the_lean_client_as_it_answers_pysnmp(
    agent: int, loop: Loop, security: str
) -> None:
    target = v2c(agent) if security == "v2c" else v3(agent)
    lean, reference = loop.run(both(target))
    same_answers(lean, reference)
    got, walked = lean
    assert got[(1, 3, 6, 1, 2, 1, 1, 3, 0)].as_int() > 0
    assert walked[(*IF_TABLE, 2)]  # at least lo
    assert any(v.as_text() == "lo" for v in walked[(*IF_TABLE, 2)].values())


def test_v3_wrong_keys_are_an_authentication_error(agent: int, loop: Loop) -> None:
    async def go(target: Target) -> None:
        client = LeanClient()
        try:
            await client.get(target, SCALARS[:1], RequestStats())
        finally:
            await client.close()

    with pytest.raises(SnmpAuthError, match="wrong digest"):
        loop.run(go(v3(agent, auth="not-the-auth-pass", timeout_s=1, retries=0)))
    with pytest.raises(SnmpTimeout):  # a wrong community gets silence, as from any agent
        loop.run(go(v2c(agent, community="wrong", timeout_s=0.3, retries=1)))


def test_the_whole_lab_reads_the_same_through_both_clients(lab: Lab, loop: Loop) -> None:
    inv = load_inventory(lab.inventory)
    targets = build_targets(inv)
    names = [
        "core-1",
        "core-2",
        "bts-01",
        "bts-09",
        "fo-03",
        "srv-web-1",
        *[d.name for d in inv.devices if d.role.value == "kelurahan"][:4],
    ]

    async def read(client: SnmpClient) -> dict[str, object]:
        try:
            return {
                n: await client.bulk_walk(
                    targets[n], [(*IF_TABLE, 2), (*IF_TABLE, 8)], RequestStats()
                )
                for n in names
            }
        finally:
            await client.close()

    assert loop.run(read(LeanClient())) == loop.run(read(PysnmpClient()))


class Hostile:
    """A UDP 'agent' that answers every request with what a broken or hostile one might send:
    garbage, a wrong request id, then the real answer from another port."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        from noc.snmp import ber

        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        while True:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                return
            request = ber.decode_community_message(data)
            rid = request.pdu.request_id
            reply = ber.encode_community_message(
                1,
                b"public",
                ber.tlv(
                    ber.RESPONSE,
                    ber.encode_integer(rid)
                    + ber.encode_integer(0)
                    + ber.encode_integer(0)
                    + ber.encode_varbinds([]),
                ),
            )
            wrong_id = reply.replace(ber.encode_integer(rid), ber.encode_integer(rid ^ 1), 1)
            self.sock.sendto(b"\x30\x84\xff\xff\xff\xff", peer)
            self.sock.sendto(wrong_id, peer)
            self.sock.sendto(reply.replace(b"public", b"publik"), peer)
            other.sendto(reply, peer)  # right answer, wrong source port


def test_garbage_and_spoofed_answers_are_dropped_not_trusted(loop: Loop) -> None:
    hostile = Hostile()
    client = LeanClient()

    async def go() -> None:
        try:
            await client.get(
                v2c(hostile.port, timeout_s=0.5, retries=1), SCALARS[:1], RequestStats()
            )
        finally:
            await client.close()

    with pytest.raises(SnmpTimeout):
        loop.run(go())
    assert client.dropped >= 8  # four per try, two tries
    hostile.sock.close()


def test_a_non_increasing_walk_is_refused(lab: Lab, loop: Loop) -> None:
    inv = load_inventory(lab.inventory)
    target = build_targets(inv)["fo-05"]
    lab.scenario("fo-05", "garbage")

    async def go() -> None:
        client = LeanClient()
        try:
            await client.bulk_walk(target, [(*IF_TABLE, 2)], RequestStats())
        finally:
            await client.close()

    try:
        with pytest.raises(SnmpProtocolError, match="non-increasing"):
            loop.run(go())
    finally:
        lab.scenario("fo-05", "garbage", on=False)


def test_toobig_halves_the_repetitions(lab: Lab, loop: Loop) -> None:
    inv = load_inventory(lab.inventory)
    target = build_targets(inv)["core-2"]
    lab.scenario("core-2", "toobig", param="4")
    stats = RequestStats()

    async def go() -> dict[Oid, object]:
        client = LeanClient()
        try:
            return dict(await client.bulk_walk(target, [(*IF_TABLE, 2)], stats))
        finally:
            await client.close()

    try:
        walked = loop.run(go())
    finally:
        lab.scenario("core-2", "toobig", on=False)
    assert stats.too_big >= 1
    assert len(walked[(*IF_TABLE, 2)]) == len(inv.device("core-2").interfaces)  # type: ignore[arg-type]
