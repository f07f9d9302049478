"""Shared fixtures: the inventories on disk and a running simulated network. How the parallel
workers share the work is the plugin `tests/scheduling.py`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from hypothesis import settings

from noc.lab.control import LabControlError, call
from tests import shared
from tests.tcpproxy import TcpProxy

pytest_plugins = ["tests.scheduling"]

# Property tests assert what comes out, never how long it took: speed is measured by the
# benchmarks. Hypothesis' default 200 ms deadline per example failed a decoding test on a busy
# machine (306 ms once, 8 ms when replayed).
settings.register_profile("noc", deadline=None)
settings.load_profile("noc")

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
INVENTORY = ROOT / "inventory.yaml"
SMALL = DATA / "inventories" / "small.yaml"
RECORDINGS = DATA / "conformance" / "snmprec"
EXPECTED = DATA / "conformance" / "expected"
# The test lab listens on its own port so it never collides with a lab started by `noc lab up`;
# each parallel worker (pytest-xdist) has its own lab, 10 ports above the previous one's.
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
LAB_PORT = 11161 + 10 * WORKER


def with_port(source: Path, target: Path, port: int = LAB_PORT) -> Path:
    """A copy of an inventory whose devices all listen on `port`, without its maintenance
    windows: the tests poll on the wall clock, and a window in the shipped inventory (a weekly
    one, or a dated one such as the DR site's power work) would otherwise turn the devices it
    covers to `maintenance` on the days it falls. Tests of maintenance declare their own."""
    text = re.sub(
        r"^(\s+)address: (\S+)$",
        rf"\1address: \2\n\1port: {port}",
        source.read_text(),
        flags=re.MULTILINE,
    )
    text = re.sub(
        r"^maintenance:\n(?:(?:[ #].*)?\n)*", "maintenance: []\n", text, flags=re.MULTILINE
    )
    target.write_text(text)
    return target


T = TypeVar("T")


class Loop:
    """One event loop for a whole test: pysnmp's engine stays bound to the loop it started on."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)


@pytest.fixture
def loop() -> Iterator[Loop]:
    handle = Loop()
    yield handle
    handle.loop.close()


QUIET_SHARE = "0.3"


class Lab:
    """A running `noc lab serve` process, driven through its control socket."""

    def __init__(self, socket: Path, proc: subprocess.Popen[bytes], inventory: Path) -> None:
        self.socket, self.proc, self.inventory = socket, proc, inventory
        self.offset_s = 0.0  # how far `advance` has moved the lab's clock

    def time(self) -> float:
        """The lab's time, without asking it: a clock for collectors that read the lab."""
        return time.time() + self.offset_s

    @staticmethod
    def target(address: str) -> str:
        """The net-snmp agent address of a lab device."""
        return f"{address}:{LAB_PORT}"

    def status(self, *devices: str) -> dict[str, Any]:
        return call(self.socket, {"command": "status", "devices": list(devices)})

    def device(self, name: str) -> dict[str, Any]:
        devices: list[dict[str, Any]] = self.status(name)["devices"]
        return devices[0]

    def interface(self, device: str, name: str) -> dict[str, Any]:
        return next(i for i in self.device(device)["interfaces"] if i["name"] == name)

    def scenario(
        self, device: str, name: str, *, on: bool = True, param: str | None = None
    ) -> None:
        call(
            self.socket,
            {"command": "scenario", "device": device, "name": name, "enable": on, "param": param},
        )

    def now(self) -> float:
        """The lab's time (the wall clock plus what it was told to skip)."""
        return float(self.status("none")["now"])

    def advance(self, seconds: float) -> None:
        """Move the lab's time forward: counters, uptimes and the traffic curve jump."""
        reply = call(self.socket, {"command": "advance", "seconds": seconds})
        self.offset_s = float(reply["offset_s"])

    @contextlib.contextmanager
    def quiet_uplink(self) -> Iterator[None]:
        """The uplink (and core-1's other links) at 30% of contract whatever the hour, for tests
        that count alerts and must not meet the office-hours congestion of the daily curve."""
        self.scenario("core-1", "congestion", param=QUIET_SHARE)
        try:
            yield
        finally:
            self.scenario("core-1", "congestion", on=False)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The whole Kota Bogor inventory plus the conformance recordings, answering SNMP."""
    var = tmp_path_factory.mktemp("labvar")
    inventory = with_port(INVENTORY, var / "inventory.yaml")
    env = {**os.environ, "NOC_VAR_DIR": str(var)}
    log = (var / "lab.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "noc",
            "lab",
            "serve",
            "--inventory",
            str(inventory),
            "--recordings",
            str(RECORDINGS),
            "--recordings-port",
            str(LAB_PORT),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    handle = Lab(var / "lab" / "control.sock", proc, inventory)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"lab exited: {(var / 'lab.log').read_text()[-3000:]}")
        try:
            handle.status()
            break
        except LabControlError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.2)
    yield handle
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


PG = ("127.0.0.1", 5432)


@dataclass
class Database:
    """A database the test can take away and give back."""

    url: str
    kind: str
    proxy: TcpProxy | None = None
    path: Path | None = None

    def down(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        elif self.path is not None:
            self.path.parent.rename(self.path.parent.with_name("away"))

    def up(self) -> None:
        if self.proxy is not None:
            self.proxy.start()
        elif self.path is not None:
            self.path.parent.with_name("away").rename(self.path.parent)


@contextlib.contextmanager
def pg_database(prefix: str = "noc_test") -> Iterator[Database]:
    """A PostgreSQL database of its own, behind a proxy the test can stop; dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        host=PG[0], port=PG[1], user="postgres", dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    proxy = TcpProxy(PG)
    proxy.start()
    try:
        yield Database(
            f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{name}",
            "postgresql",
            proxy=proxy,
        )
    finally:
        proxy.stop()
        with psycopg.connect(
            host=PG[0], port=PG[1], user="postgres", dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "db" / "noc.db"
        path.parent.mkdir()
        yield Database(f"sqlite:///{path}", "sqlite", path=path)
        return
    with pg_database() as db:
        yield db


def pytest_configure(config: pytest.Config) -> None:
    # The collectors the tests start do not listen for traps and syslog on 162 and 514 of every
    # interface (parallel ones would clash there): the tests of that set their own high ports.
    for setting in ("NOC_TRAP_PORT", "NOC_SYSLOG_PORT", "NOC_FLOW_PORT"):
        os.environ.setdefault(setting, "0")
    # Nor do they watch the inventory's services, whose lab servers only `noc demo` and the
    # services tests start: the tests of that turn it on.
    os.environ.setdefault("NOC_WATCH_SERVICES", "0")
    # Nor do they compare the neighbour tables with the inventory (most run on subsets).
    os.environ.setdefault("NOC_TOPOLOGY_CHECK_S", "0")
    if not hasattr(config, "workerinput"):  # the controller, or a run without workers
        shared.start_run()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        shared.end_run()
