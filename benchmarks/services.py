"""The cost of watching the services: 50 services x 4 checks (HTTPS with its chain, DNS, an SMTP
greeting, ICMP with 5 echoes) from 3 vantage points, against the lab's real servers on
loopback (in a process of their own, so their CPU is not counted). Each vantage point makes
its rounds as `noc serve` does (concurrency 16, its own source address); printed is the CPU
of one round of 200 checks, and its share of one core when made every 30 s, per vantage point
and for the three.

The anchor, in the same run: the 50 HTTPS checks made by `curl` (as an external-check script
does: one process per check, the same CA, the same address), its CPU (children's) against
ours for the same 50 checks, as a ratio.

    .venv/bin/python benchmarks/services.py [--services 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from noc.inventory.services import Check, Service  # noqa: E402
from noc.services.watch import Vantage, ballot  # noqa: E402
from tests.ports import free_port  # noqa: E402

ADDRESS, DNS = "127.0.9.31", "127.0.9.32"
SOURCES = ("127.0.9.121", "127.0.9.122", "127.0.9.123")
INTERVAL_S = 30


def serve(directory: str, ports: list[int], dns_port: int, smtp_port: int, ready: object) -> None:
    """The lab's servers for every service, until killed."""
    from noc.lab.egov import LabServices, Site

    async def main() -> None:
        lab = LabServices(Path(directory))
        for n, port in enumerate(ports):
            await lab.site(Site(f"svc{n}.kotabogor.go.id", ADDRESS, port))
        lab.zone = {f"svc{n}.kotabogor.go.id": ADDRESS for n in range(len(ports))}
        await lab.dns("ns", DNS, dns_port)
        await lab.banner("smtp", ADDRESS, smtp_port, "220 mail.kotabogor.go.id ESMTP")
        ready.set()  # type: ignore[attr-defined]
        await asyncio.Event().wait()

    asyncio.run(main())


def services(ports: list[int], dns_port: int, smtp_port: int, http_only: bool) -> list[Service]:
    out = []
    for n, port in enumerate(ports):
        host = f"svc{n}.kotabogor.go.id"
        checks: list[dict[str, object]] = [
            {"http": {"url": f"https://{host}:{port}/", "connect_to": f"{ADDRESS}:{port}"}}
        ]
        if not http_only:
            checks += [
                {"dns": {"name": host, "servers": [f"{DNS}:{dns_port}"]}},
                {"tcp": {"connect_to": f"{ADDRESS}:{smtp_port}", "banner": "220"}},
                {"icmp": {"address": ADDRESS, "count": 5}},
            ]
        out.append(
            Service(
                name=f"svc{n}",
                title=f"Service {n}",
                checks=[Check.model_validate(c) for c in checks],
            )
        )
    return out


async def one_round(svcs: list[Service], vantage: Vantage) -> int:
    limit = asyncio.Semaphore(16)
    done = await asyncio.gather(*(ballot(s, vantage, time.time(), True, limit) for s in svcs))
    failed = [r for _, results in done for r in results if not r.ok]
    assert not failed, failed[:3]
    return sum(len(results) for _, results in done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="noc-services-bench-"))
    ports = [free_port(ADDRESS) for _ in range(args.services)]
    dns_port, smtp_port = free_port(DNS, kind=socket.SOCK_DGRAM), free_port(ADDRESS)
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    lab = ctx.Process(target=serve, args=(str(work), ports, dns_port, smtp_port, ready))
    lab.start()
    try:
        assert ready.wait(60), "the lab's servers did not start"
        ca = work / "lab-ca.pem"
        full = services(ports, dns_port, smtp_port, http_only=False)
        https = services(ports, dns_port, smtp_port, http_only=True)
        per_round, walls, checks = [], [], 0
        for _ in range(args.rounds):
            for source in SOURCES:
                vantage = Vantage(f"v{source[-1]}", source=source, ca_file=ca)
                cpu, wall = time.process_time(), time.monotonic()
                checks = asyncio.run(one_round(full, vantage))
                per_round.append(time.process_time() - cpu)
                walls.append(time.monotonic() - wall)
        ours_https = []
        for _ in range(args.rounds):
            cpu = time.process_time()
            asyncio.run(one_round(https, Vantage("v", source=SOURCES[0], ca_file=ca)))
            ours_https.append(time.process_time() - cpu)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for n, port in enumerate(ports):
            host = f"svc{n}.kotabogor.go.id"
            subprocess.run(
                [
                    *("curl", "-sS", "-o", "/dev/null", "--cacert", str(ca)),
                    *("--interface", SOURCES[0], "--resolve", f"{host}:{port}:{ADDRESS}"),
                    f"https://{host}:{port}/",
                ],
                check=True,
                timeout=30,
            )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        curl_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    finally:
        lab.kill()
        lab.join(10)
    mean = sum(per_round) / len(per_round)
    print(
        f"one round: {checks} checks ({args.services} services x 4) from one vantage point: "
        f"CPU {mean:.3f} s (min {min(per_round):.3f}, max {max(per_round):.3f}), "
        f"wall {sum(walls) / len(walls):.1f} s"
    )
    print(
        f"every {INTERVAL_S} s: {mean / INTERVAL_S:.2%} of one core per vantage point, "
        f"{3 * mean / INTERVAL_S:.2%} for the three"
    )
    https_mean = sum(ours_https) / len(ours_https)
    print(
        f"the {args.services} HTTPS checks alone: ours {https_mean:.3f} s CPU, curl "
        f"{curl_cpu:.3f} s (one process per check); ratio curl/ours {curl_cpu / https_mean:.1f}x"
    )


if __name__ == "__main__":
    main()
