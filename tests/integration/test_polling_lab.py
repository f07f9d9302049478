"""The collector against the running simulated network, over real SNMP (pysnmp client)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from noc.inventory import Topology, load_inventory
from noc.polling.availability import State
from noc.polling.poller import Poller, PollRecord
from noc.polling.rates import NoRate
from noc.polling.targets import deadline_s
from noc.snmp.client import V3Auth
from noc.snmp.lean_client import LeanClient
from tests.conftest import Lab, Loop

pytestmark = pytest.mark.integration


@pytest.fixture
def poller(lab: Lab, loop: Loop) -> Iterator[Poller]:
    inv = load_inventory(lab.inventory)

    async def make() -> LeanClient:
        return LeanClient()

    client = loop.run(make())
    # On the lab's clock: a test moves time forward with `lab.advance` instead of sleeping.
    yield Poller(inv, client, clock=lab.time)
    loop.run(client.close())


def measure(
    poller: Poller, lab: Lab, device: str, iface: str, gap: float, loop: Loop
) -> tuple[float, float]:
    """(collector's in bits/s, the lab's advertised in bits/s averaged over the interval)."""
    loop.run(poller.poll_all([device]))
    before = lab.interface(device, iface)["in_bps"]
    lab.advance(gap)
    loop.run(poller.poll_all([device]))
    after = lab.interface(device, iface)["in_bps"]
    state = poller.devices[device].interface_named(iface)
    assert state is not None and state.in_bps is not None, state
    return state.in_bps, (before + after) / 2


def test_uplink_utilisation_follows_the_simulated_curve(
    lab: Lab, poller: Poller, loop: Loop
) -> None:
    measured, advertised = measure(poller, lab, "core-1", "ether1", 10, loop)
    assert measured == pytest.approx(advertised, rel=0.02)
    uplink = poller.devices["core-1"].interface_named("ether1")
    assert uplink is not None and uplink.contracted_bps == 40_000_000
    assert uplink.utilisation == pytest.approx(
        max(advertised, uplink.out_bps or 0) / 40e6, rel=0.02
    )


def test_wrap_scenario_gives_no_spike_and_the_right_rate(
    lab: Lab, poller: Poller, loop: Loop
) -> None:
    device = "kel-pabaton"
    loop.run(poller.poll_all([device]))
    lab.scenario(device, "wrap", param="6")
    try:
        seen_wrap = False
        rates = []
        previous_octets = None
        for _ in range(5):
            loop.run(poller.poll_all([device]))
            iface = poller.devices[device].interface_named("wlan1")
            assert iface is not None
            if previous_octets is not None and iface.in_octets is not None:
                seen_wrap |= iface.in_octets < previous_octets
            previous_octets = iface.in_octets
            advertised = lab.interface(device, "wlan1")["in_bps"]
            if iface.in_bps is not None:
                rates.append((iface.in_bps, advertised))
                assert iface.in_bps == pytest.approx(advertised, rel=0.02)
            lab.advance(2.5)
        assert seen_wrap, "the 32-bit counter never wrapped during the test"
        assert len(rates) >= 3
    finally:
        lab.scenario(device, "wrap", on=False)


def test_reboot_gives_no_rate_for_that_interval_then_recovers(
    lab: Lab, poller: Poller, loop: Loop
) -> None:
    device = "kel-sempur"
    loop.run(poller.poll_all([device]))
    lab.advance(1)
    lab.scenario(device, "reboot")
    loop.run(poller.poll_all([device]))
    iface = poller.devices[device].interface_named("wlan1")
    assert iface is not None and iface.in_bps is None
    assert iface.no_rate is not None and NoRate.REBOOT.value in iface.no_rate
    lab.advance(3)
    loop.run(poller.poll_all([device]))
    assert iface.in_bps == pytest.approx(lab.interface(device, "wlan1")["in_bps"], rel=0.02)


def test_bts_down_is_down_and_everything_behind_it_unreachable(
    lab: Lab, poller: Poller, loop: Loop
) -> None:
    inv = poller.inv
    bts = "bts-05"
    behind = Topology.of(inv).descendants(bts)
    assert behind
    names = ["core-1", bts, *behind]
    loop.run(poller.poll_all(names))
    lab.scenario(bts, "down")
    for child in behind:
        lab.scenario(child, "down")  # behind a dead BTS, nothing answers
    try:
        for _ in range(3):
            loop.run(poller.poll_all(names))
        assert poller.state_of(bts).state is State.DOWN
        for child in behind:
            verdict = poller.state_of(child)
            assert verdict.state is State.UNREACHABLE, child
            assert verdict.root_cause == bts
        incidents = list(poller.live.book.open.values())
        assert [i.root_cause for i in incidents] == [bts]
        assert set(behind) <= incidents[0].affected
    finally:
        for name in [bts, *behind]:
            lab.scenario(name, "down", on=False)


def test_a_slow_device_does_not_delay_the_others(lab: Lab, poller: Poller, loop: Loop) -> None:
    slow = "kel-cibuluh"
    others = ["kel-ciluar", "kel-cimahpar", "kel-ciparigi", "skpd-kominfo", "bts-02", "fo-01"]
    done: dict[str, float] = {}

    async def go() -> list[PollRecord]:
        async def one(name: str) -> PollRecord:
            record = await poller.poll(name)
            done[name] = time.monotonic()
            return record

        return await asyncio.gather(*(one(n) for n in [slow, *others]))

    lab.scenario(slow, "slow", param="30")
    try:
        started = time.monotonic()
        records = {r.device: r for r in loop.run(go())}
    finally:
        lab.scenario(slow, "slow", on=False)
    deadline = started + deadline_s(poller.inv, poller.inv.device(slow).tier)
    assert not records[slow].ok
    assert all(records[n].ok for n in others)
    assert all(done[n] < deadline for n in others)
    assert all(done[n] < done[slow] for n in others)


def test_wrong_v3_credentials_give_a_clear_reason_on_that_device_only(
    lab: Lab, poller: Poller, loop: Loop
) -> None:
    good = poller.targets["bts-06"]
    assert isinstance(good.auth, V3Auth)
    wrong = dataclasses.replace(good.auth, auth_key=SecretStr("not-the-right-passphrase"))
    poller.targets["bts-06"] = dataclasses.replace(good, auth=wrong)
    records = {r.device: r for r in loop.run(poller.poll_all(["bts-06", "bts-07"]))}
    assert not records["bts-06"].ok
    assert records["bts-06"].reason is not None
    assert "authentication failed" in records["bts-06"].reason
    assert "not-the-right-passphrase" not in records["bts-06"].reason
    assert records["bts-07"].ok


def test_toobig_is_retried_with_fewer_repetitions(lab: Lab, poller: Poller, loop: Loop) -> None:
    device = "kel-kencana"
    lab.scenario(device, "toobig", param="4")
    try:
        record = loop.run(poller.poll(device))
    finally:
        lab.scenario(device, "toobig", on=False)
    assert record.ok, record.reason
    assert poller.devices[device].last_stats.too_big >= 1
    iface = poller.devices[device].interface_named("wlan1")
    assert iface is not None and iface.oper_status == 1


def test_an_agent_answering_garbage_is_a_reason_not_a_crash(
    lab: Lab, poller: Poller, loop: Loop
) -> None:
    device = "kel-mekarwangi"
    lab.scenario(device, "garbage")
    try:
        records = {r.device: r for r in loop.run(poller.poll_all([device, "kel-kencana"]))}
    finally:
        lab.scenario(device, "garbage", on=False)
    assert not records[device].ok
    reason = records[device].reason
    assert reason is not None
    assert "non-increasing OID" in reason
    assert records["kel-kencana"].ok
