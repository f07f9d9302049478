"""Each check against the lab's real servers on loopback: HTTPS through a lab CA whose
intermediate expires in 10 days, a redirect to another host with its own certificate, two DNS
servers, SMTP and IMAP greetings, and ICMP; and what each says when the service is down, slow,
serves the wrong page, when the DNS servers disagree, or when the vantage point's uplink is cut
(connections from its source address go unanswered)."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from noc.inventory.services import Check
from noc.lab.egov import LabServices, Site
from noc.services.checks import CheckResult, run_check
from tests.ports import free_port

pytestmark = pytest.mark.integration
ADDR = "127.0.9.1"
VANTAGE = "127.0.9.101"


def _check(**kind: object) -> Check:
    return Check.model_validate(kind)


async def _lab(tmp: Path) -> tuple[LabServices, dict[str, int]]:
    lab = LabServices(tmp / "ca")
    ports = {k: free_port(ADDR) for k in ("lpse", "apex", "www", "smtp")}
    ports["ns1"] = free_port(ADDR, kind=socket.SOCK_DGRAM)
    ports["ns2"] = free_port("127.0.9.2", kind=socket.SOCK_DGRAM)
    await lab.site(Site("lpse.kotabogor.go.id", ADDR, ports["lpse"]))
    www = f"https://www.kotabogor.go.id:{ports['www']}/"
    await lab.site(Site("kotabogor.go.id", ADDR, ports["apex"], redirect_to=www))
    await lab.site(Site("www.kotabogor.go.id", ADDR, ports["www"]))
    await lab.banner("smtp", ADDR, ports["smtp"], "220 mail.kotabogor.go.id ESMTP")
    lab.zone = {"lpse.kotabogor.go.id": ADDR}
    await lab.dns("ns1", ADDR, ports["ns1"])
    await lab.dns("ns2", "127.0.9.2", ports["ns2"])
    return lab, ports


def test_every_check_against_the_labs_servers(tmp_path: Path) -> None:
    async def scenario() -> dict[str, CheckResult]:
        lab, p = await _lab(tmp_path)
        ca = lab.ca.ca_file
        lpse = _check(
            http={
                "url": f"https://lpse.kotabogor.go.id:{p['lpse']}/eproc4/login",
                "connect_to": f"{ADDR}:{p['lpse']}",
                "contains": "SPSE",
                "max_s": 2,
            }
        )
        apex = _check(
            http={
                "url": f"https://kotabogor.go.id:{p['apex']}/",
                "connect_to": f"{ADDR}:{p['apex']}",
                "hops": {"www.kotabogor.go.id": f"{ADDR}:{p['www']}"},
                "contains": "Pemerintah Kota Bogor",
            }
        )
        smtp = _check(tcp={"connect_to": f"{ADDR}:{p['smtp']}", "banner": "220"})
        dns = _check(
            dns={
                "name": "lpse.kotabogor.go.id",
                "servers": [f"{ADDR}:{p['ns1']}", f"127.0.9.2:{p['ns2']}"],
                "expect": [ADDR],
            }
        )
        icmp = _check(icmp={"address": "127.0.0.1", "count": 3})
        now = time.time()
        out = {}
        for name, check in [("lpse", lpse), ("apex", apex), ("smtp", smtp), ("dns", dns)]:
            out[name] = await run_check(check, VANTAGE, ca, now)
        out["icmp"] = await run_check(icmp, None, ca, now)
        out["untrusted"] = await run_check(lpse, VANTAGE, None, now)
        lab.scenario("lpse.kotabogor.go.id", "content")
        out["content"] = await run_check(lpse, VANTAGE, ca, now)
        lab.scenario("lpse.kotabogor.go.id", "content", on=False)
        lab.scenario("lpse.kotabogor.go.id", "slow")
        out["slow"] = await run_check(lpse, VANTAGE, ca, now)
        lab.scenario("lpse.kotabogor.go.id", "slow", on=False)
        lab.scenario("lpse.kotabogor.go.id", "down")
        out["down"] = await run_check(lpse, VANTAGE, ca, now)
        lab.scenario("lpse.kotabogor.go.id", "down", on=False)
        lab.scenario("ns2", "disagree")
        out["disagree"] = await run_check(dns, VANTAGE, ca, now)
        lab.scenario("ns2", "disagree", on=False)
        lab.cut.add(VANTAGE)
        out["cut"] = await run_check(smtp, VANTAGE, ca, now)
        out["other vantage"] = await run_check(smtp, "127.0.9.102", ca, now)
        lab.close()
        return out

    r = asyncio.run(scenario())
    for name in ("lpse", "apex", "smtp", "dns", "icmp", "other vantage"):
        assert r[name].ok, (name, r[name])
    lpse = r["lpse"].certs
    assert [(c.position, c.subject) for c in lpse] == [
        (0, "lpse.kotabogor.go.id"),
        (1, "Lab Kota Bogor Intermediate CA"),
    ]
    assert 9 < lpse[1].days_left(time.time()) <= 10  # the one that expires soon, named
    assert {c.host for c in r["apex"].certs} == {"kotabogor.go.id", "www.kotabogor.go.id"}
    assert len(r["icmp"].rtts_ms) == 3
    assert not r["untrusted"].ok and "certificate of lpse.kotabogor.go.id" in str(
        r["untrusted"].reason
    )
    assert r["content"].reason == "the page lacks 'SPSE'"
    assert r["slow"].reason is not None and "slower than 2 s" in r["slow"].reason
    assert r["down"].reason is not None and "lpse.kotabogor.go.id" in r["down"].reason
    assert r["disagree"].reason is not None and "disagree" in r["disagree"].reason
    assert not r["cut"].ok and r["cut"].reason is not None
