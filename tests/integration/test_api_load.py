"""HTTP clients must not share fate with the polls (bounded load on loopback against a real
`noc serve`): 50 concurrent /metrics scrapers and 10 concurrent SLA reports leave the poll
times within 20% (or a quarter second) and write no false state; a 50 MB unauthenticated body
is refused before it is read."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from noc.store.db import make_engine
from noc.store.models import StateChangeRow
from noc.store.tokens import Role, create_token
from tests.conftest import INVENTORY, LAB_PORT, ROOT, Lab
from tests.ports import free_port
from tests.subset import subset_inventory

pytestmark = [pytest.mark.integration, pytest.mark.serial]

KEEP = {"core-1", "core-2", "bts-01", "bts-05", "kel-balumbangjaya", "kel-curug", "srv-web-1"}
PHASE_S = 6.0


class Server:
    def __init__(self, work: Path) -> None:
        self.inventory = subset_inventory(
            INVENTORY, work / "inventory.yaml", KEEP, LAB_PORT, poll_interval_s=2
        )
        self.url = f"sqlite:///{work / 'noc.db'}"
        self.port = free_port()
        self.env = {
            **os.environ,
            "NOC_VAR_DIR": str(work / "var"),
            "NOC_DATABASE_URL": self.url,
            "NOC_INVENTORY": str(self.inventory),
            "NOC_HTTP_PORT": str(self.port),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.token = ""

    def noc(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "noc", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout

    def get(self, path: str, token: str | None = None, timeout: float = 120) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def rss_kb(self) -> int:
        assert self.proc is not None
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(next(ln for ln in status.splitlines() if ln.startswith("VmRSS")).split()[1])


@pytest.fixture(scope="module")
def server(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("load")
    s = Server(work)
    s.noc("sla", "simulate", "--month", "2026-10")  # reports with a month of data to read
    s.token = create_token(make_engine(s.url), "load", Role.MANAGER)[1]
    log = (work / "serve.log").open("wb")
    started = time.time()
    s.proc = subprocess.Popen(
        [sys.executable, "-m", "noc", "serve"],
        env=s.env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if s.get("/healthz", timeout=2)[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, (work / "serve.log").read_text()
        time.sleep(0.3)
    while sum(
        row["at"] >= started for row in json.loads(s.get("/api/v1/poll-stats", s.token)[1])
    ) < len(KEEP):
        assert time.monotonic() < deadline, (work / "serve.log").read_text()
        time.sleep(0.3)  # until this collector has polled every device once
    yield s
    s.proc.terminate()
    s.proc.wait(timeout=60)


def slowest_poll(server: Server, seconds: float, stop: threading.Event | None = None) -> float:
    """The longest last-poll duration seen over `seconds`."""
    worst = 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop and stop.is_set()):
        status, body = server.get("/api/v1/poll-stats", server.token, timeout=30)
        if status == 200:
            worst = max([worst, *(row["duration_s"] for row in json.loads(body))])
        time.sleep(0.5)
    return worst


def test_scrapes_and_reports_do_not_slow_the_polls(server: Server) -> None:
    baseline = slowest_poll(server, PHASE_S)
    load_started = time.time()
    stop = threading.Event()
    scrapes: list[int] = []
    reports: list[int] = []

    def scrape() -> None:
        for _ in range(200):  # bounded in count and in time
            if stop.is_set():
                return
            scrapes.append(server.get("/metrics", timeout=60)[0])

    def report() -> None:
        reports.append(
            server.get("/api/v1/sla/report?month=2026-10&format=html", server.token, timeout=300)[0]
        )

    threads = [threading.Thread(target=scrape) for _ in range(50)]
    threads += [threading.Thread(target=report) for _ in range(10)]
    for thread in threads:
        thread.start()
    loaded = slowest_poll(server, PHASE_S)
    stop.set()
    for thread in threads:
        thread.join(timeout=300)
    assert reports == [200] * 10
    assert len(scrapes) >= 50 and set(scrapes) == {200}
    print(
        f"\nslowest poll: {baseline:.3f}s alone, {loaded:.3f}s under load "
        f"({len(scrapes)} scrapes, {len(reports)} reports)"
    )
    assert loaded <= max(1.2 * baseline, baseline + 0.25), (baseline, loaded)
    with Session(make_engine(server.url)) as session:
        false = session.scalars(
            select(StateChangeRow).where(
                StateChangeRow.at >= load_started,
                StateChangeRow.new.in_(("down", "unreachable", "unknown")),
            )
        ).all()
    assert [(c.entity, c.new, c.reason) for c in false] == []


def test_a_huge_unauthenticated_body_is_refused_before_it_is_read(server: Server) -> None:
    before = server.rss_kb()
    for auth in ("", f"Authorization: Bearer {server.token}\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(
                (
                    f"POST /api/v1/diagnostics HTTP/1.1\r\nHost: x\r\n{auth}"
                    "Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
                ).encode()
            )
            answer = sock.recv(4096).decode(errors="replace")  # no body byte sent yet
        expected = "401" if not auth else "413"
        assert answer.startswith(f"HTTP/1.1 {expected}"), answer
    # Chunked, with no length to go by: cut at the limit while it streams in.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            (
                f"POST /api/v1/diagnostics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                f"{server.token}\r\nTransfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        chunk = b"x" * 65536
        answer = ""
        try:
            for _ in range(800):  # up to 50 MB
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        except OSError:
            pass  # the server answered and closed
        sock.settimeout(10)
        answer = sock.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert server.rss_kb() - before < 30_000  # kB: the 50 MB never came to be held
