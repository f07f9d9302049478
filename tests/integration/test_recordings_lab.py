"""Every real recording served by the lab over UDP and polled by the collector's client: the
interfaces LibreNMS expects, and a second poll that walks no label column. The lab serves the
folder although one file in it has damaged lines, and says so once, with file and line."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from noc.polling.queries import plan_for, poll_device
from noc.snmp.client import RequestStats, Target, V2cAuth
from noc.snmp.lean_client import LeanClient
from tests.conftest import LAB_PORT, RECORDINGS, Lab, Loop
from tests.unit.test_conformance import PROFILE, check_ports

pytestmark = pytest.mark.integration

PATHS = sorted(RECORDINGS.glob("*.snmprec"))


@pytest.mark.parametrize(
    ("number", "stem"), [(n, p.stem) for n, p in enumerate(PATHS, 1)], ids=[p.stem for p in PATHS]
)
def test_each_recording_polled_through_the_lab(
    lab: Lab, loop: Loop, number: int, stem: str
) -> None:
    target = Target(stem, f"127.0.9.{number}", LAB_PORT, V2cAuth(SecretStr(stem)), timeout_s=3)
    plan = plan_for(PROFILE.get(stem, "if_mib"))
    client = LeanClient()

    async def twice() -> tuple[list[str], RequestStats, RequestStats, bool]:
        first, second = RequestStats(), RequestStats()
        try:
            sample, cache = await poll_device(client, target, plan, None, first)
            again, _ = await poll_device(client, target, plan, cache, second)
        finally:
            await client.close()
        same = set(again.details) == set(sample.details) == set(sample.counters)
        return check_ports(stem, sample.details, sample.counters), first, second, same

    wrong, first, second, same = loop.run(twice())
    assert wrong == []
    assert same  # labels are the interfaces', kept from the first poll
    assert second.requests <= first.requests  # the label columns are not walked again


def test_the_damaged_recording_is_served_and_named_once(lab: Lab) -> None:
    log = (lab.socket.parent.parent / "lab.log").read_text()
    lines = [ln for ln in log.splitlines() if "vrp_s5328c-ei.snmprec" in ln and "skipped" in ln]
    assert len(lines) == 1, lines
    assert "20 unreadable line(s)" in lines[0] and "2983" in lines[0]
