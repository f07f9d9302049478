"""`noc serve --workers N`: N collector processes on one machine, each a member of the fleet
(`NAME-0` … `NAME-N-1`) sharing the poll domains through the same leases, so a machine with
several cores uses them all. This process only supervises: it starts the workers, restarts
one that dies (its domains are taken over meanwhile, as for any collector), and stops them
all on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

RESTART_AFTER_S = 2.0


@dataclass
class Worker:
    name: str
    port: int
    var: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.var / "serve.log"

    def start(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "noc", "serve"], env=self.env,
                                     stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


def plan_workers(
    name: str, site: str, count: int, host: str, port: int, var: Path, environ: dict[str, str]
) -> list[Worker]:
    """Each worker's name, HTTP port (one after the other from `port`) and state folder."""
    out = []
    for i in range(count):
        wname, wport, wvar = f"{name}-{i}", port + i, var / f"worker-{i}"
        env = {
            **environ, "NOC_COLLECTOR_NAME": wname, "NOC_COLLECTOR_SITE": site,
            "NOC_HTTP_HOST": host, "NOC_HTTP_PORT": str(wport), "NOC_VAR_DIR": str(wvar),
        }  # fmt: skip
        out.append(Worker(wname, wport, wvar, env))
    return out


def supervise(workers: list[Worker], say: Callable[[str], None] = print) -> int:
    """Run the workers until SIGTERM/SIGINT; restart one that exits on its own. Returns the
    exit code: 0 after a clean stop."""
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for w in workers:
            if w.proc is not None and w.proc.poll() is None:
                w.proc.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for w in workers:
            w.start()
            say(f"worker {w.name}: pid {w.proc.pid if w.proc else '?'}, "
                f"/metrics on port {w.port}, log {w.log}")  # fmt: skip
        while not stopping:
            time.sleep(0.5)
            for w in workers:
                if stopping or w.proc is None or w.proc.poll() is None:
                    continue
                say(f"worker {w.name} exited ({w.proc.returncode}); restarting it in "
                    f"{RESTART_AFTER_S:g} s (see {w.log})")  # fmt: skip
                time.sleep(RESTART_AFTER_S)
                if not stopping:
                    w.start()
        for w in workers:
            if w.proc is not None:
                try:
                    w.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    w.proc.kill()
                    w.proc.wait()
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
