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
# A worker that dies again soon after its start (a port taken, the inventory broken) is
# restarted later each time, up to a minute apart, instead of every 2 s for ever; one that
# ran for STEADY_S is back to the first delay.
RESTART_MAX_S = 60.0
STEADY_S = 60.0


def restart_delay(previous_s: float | None, ran_s: float) -> float:
    """How long to wait before restarting a worker that ran `ran_s` seconds, when the
    previous restart waited `previous_s` (None: it never had to)."""
    if previous_s is None or ran_s >= STEADY_S:
        return RESTART_AFTER_S
    return min(previous_s * 2, RESTART_MAX_S)


def last_line(log: Path, tail_bytes: int = 4096) -> str:
    """The last non-empty line of a worker's log: what it said before it stopped."""
    try:
        with log.open("rb") as f:
            f.seek(max(0, log.stat().st_size - tail_bytes))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    return next((line.strip() for line in reversed(lines) if line.strip()), "")


@dataclass
class Worker:
    name: str
    port: int
    var: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)
    started: float = 0.0  # time.monotonic() of the last start
    delay_s: float | None = None  # the wait before its last restart
    restart_at: float | None = None  # when it is due to start again

    def __post_init__(self) -> None:
        self.log = self.var / "serve.log"

    def start(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.started, self.restart_at = time.monotonic(), None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "noc", "serve"],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def ended(w: Worker) -> str:
    """How a worker ended, for the supervisor's line: the signal that killed it, or its exit
    code and the last line it wrote (`noc serve` says there why it cannot run)."""
    code = w.proc.returncode if w.proc is not None else None
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    said = last_line(w.log)
    return f"exited ({code}){': ' + said if said else ''}"


def plan_workers(
    name: str, site: str, count: int, host: str, port: int, var: Path, environ: dict[str, str]
) -> list[Worker]:
    """Each worker's name, HTTP port (one after the other from `port`) and state folder."""
    out = []
    for i in range(count):
        wname, wport, wvar = f"{name}-{i}", port + i, var / f"worker-{i}"
        env = {
            **environ,
            "NOC_COLLECTOR_NAME": wname,
            "NOC_COLLECTOR_SITE": site,
            "NOC_HTTP_HOST": host,
            "NOC_HTTP_PORT": str(wport),
            "NOC_VAR_DIR": str(wvar),
        }
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
            say(
                f"worker {w.name}: pid {w.proc.pid if w.proc else '?'}, "
                f"/metrics on port {w.port}, log {w.log}"
            )
        while not stopping:
            time.sleep(0.5)
            now = time.monotonic()
            for w in workers:
                if stopping or w.proc is None or w.proc.poll() is None:
                    continue
                if w.restart_at is None:
                    w.delay_s = restart_delay(w.delay_s, now - w.started)
                    w.restart_at = now + w.delay_s
                    say(
                        f"worker {w.name} {ended(w)}; restarting it in {w.delay_s:g} s "
                        f"(see {w.log})"
                    )
                elif now >= w.restart_at:
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
