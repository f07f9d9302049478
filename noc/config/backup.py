"""A backup run: every chosen device with `ssh:` access, at most `concurrency` at once, each
under its own deadline. A device that fails (no access, refused login, a timeout, a cut export)
is an outcome with its reason; the run goes on. What a device printed is cleaned
(`clean.py`) before anything keeps it: nothing of its secrets reaches the history, the status
file or a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from noc import redact
from noc.config.clean import clean
from noc.config.history import ConfigHistory
from noc.config.models import Model, model_for
from noc.config.reading import answer, prompt_in
from noc.inventory import Inventory
from noc.inventory.model import Device
from noc.ssh import SshError, connection_params, netmiko_connect

log = logging.getLogger(__name__)
Status = Literal["changed", "unchanged", "failed"]
TIMED_OUT = "no complete answer within the deadline"


@dataclass(frozen=True)
class Fetched:
    outputs: list[tuple[str, str]]  # (command, output), the configuration first
    author_text: str | None = None


@dataclass(frozen=True)
class Outcome:
    device: str
    at: float
    status: Status
    reason: str | None = None
    commit: str = ""
    author: str | None = None
    added: int = 0
    removed: int = 0
    changes: list[str] = field(default_factory=list)
    duration_s: float = 0.0


class Connection:
    """Holds a device's open session so the deadline can close it from another thread."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()
        conn = self.conn
        if conn is None:
            return
        # The transport itself, not netmiko's polite logout: the thread reading from it may be
        # blocked in a read, and the close is what ends that read.
        for part in ("remote_conn", "remote_conn_pre"):
            with contextlib.suppress(Exception):  # a session that may be half dead
                getattr(conn, part).close()


Fetch = Callable[[Device, Model, dict[str, Any], float, Connection], Fetched]


def fetch_netmiko(
    device: Device, model: Model, params: dict[str, Any], deadline_s: float, holder: Connection
) -> Fetched:
    """Log in with netmiko, run the model's commands, log out (always: RouterOS sessions left
    open pile up on the device). Each answer ends at the device's own prompt (`reading.py`),
    never after a pause, so a slow link neither cuts an output nor leaves a prompt in it."""
    until = time.monotonic() + deadline_s
    conn = netmiko_connect(**params)
    holder.conn = conn
    try:
        if holder.closed.is_set():
            raise TimeoutError(TIMED_OUT)
        asked = time.monotonic()
        conn.write_channel(conn.RETURN)
        prompt = _read(conn, holder, until, lambda got: prompt_in(got, model.prompt))
        # Returns sent while logging in may still be answered: let them end before the first
        # command (quiet for twice what one prompt took, at least 0.3 s).
        quiet = max(0.3, 2 * (time.monotonic() - asked))
        _settle(conn, holder, until, quiet)
        # Learnt again on a quiet session: the first return's echo may have cut a prompt in
        # two, and a shell's prompt form would then match its tail (`ts-03:~$`).
        conn.write_channel(conn.RETURN)
        prompt = _read(conn, holder, until, lambda got: prompt_in(got, model.prompt))
        _settle(conn, holder, until, quiet)

        def run(command: str) -> str:
            conn.write_channel(command + conn.RETURN)
            return _read(conn, holder, until, lambda got: answer(got, command, prompt))

        more = [(c, run(c)) for c in model.more]
        command = model.config_command_for(more[0][1] if more else None)
        outputs = [(command, run(command)), *more]
        author_text = run(model.author_command) if model.author_command else None
        return Fetched(outputs, author_text)
    finally:
        with contextlib.suppress(Exception):  # a session the deadline already closed
            conn.disconnect()


def _settle(conn: Any, holder: Connection, until: float, quiet_s: float) -> None:
    last = time.monotonic()
    while time.monotonic() - last < quiet_s:
        if holder.closed.is_set() or time.monotonic() > until:
            raise TimeoutError(TIMED_OUT)
        if conn.read_channel():
            last = time.monotonic()
        time.sleep(0.02)


def _read(conn: Any, holder: Connection, until: float, done: Callable[[str], str | None]) -> str:
    got = ""
    while True:
        if holder.closed.is_set() or time.monotonic() > until:
            raise TimeoutError(TIMED_OUT)
        got += conn.read_channel()
        found = done(got)
        if found is not None:
            return found
        time.sleep(0.02)


def secret_key(folder: Path) -> bytes:
    """The installation's key for secret tokens (made once, readable by its owner only)."""
    path = folder / "secret.key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(os.urandom(32))
    return path.read_bytes()


class ConfigStore:
    """The state folder's `config/`: the history, the key, the last outcome of each device."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.history = ConfigHistory(folder / "repo")
        self.key = secret_key(folder)
        self.status_path = folder / "status.json"

    def last(self) -> dict[str, dict[str, Any]]:
        try:
            found = json.loads(self.status_path.read_text())
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def remember(self, outcomes: Sequence[Outcome]) -> None:
        status = self.last()
        for o in outcomes:
            before = status.get(o.device) or {}
            ok_at = o.at if o.status != "failed" else before.get("last_ok_at")
            status[o.device] = asdict(o) | {"last_ok_at": ok_at}
        tmp = self.status_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status, indent=1, sort_keys=True))
        tmp.replace(self.status_path)


def backup_devices(inv: Inventory, names: Sequence[str] | None = None) -> list[Device]:
    """The devices to back up: those named, else every device with `ssh:` access."""
    if names:
        return [inv.device(n) for n in names]
    return [d for d in inv.devices if d.ssh is not None]


async def backup(
    inv: Inventory,
    devices: Sequence[Device],
    store: ConfigStore,
    fetch: Fetch = fetch_netmiko,
    concurrency: int = 8,
    deadline_s: float = 60.0,
    clock: Callable[[], float] = time.time,
    environ: dict[str, str] | None = None,
    authors: dict[str, str] | None = None,
) -> list[Outcome]:
    """Back up `devices`; one outcome each, in their order. `authors`: who a syslog line or a
    trap says changed a device, for when the device's own text does not say."""
    gate = asyncio.Semaphore(concurrency)

    async def one(device: Device) -> Outcome:
        async with gate:
            started = clock()
            began = time.monotonic()

            def failed(reason: str) -> Outcome:
                took = time.monotonic() - began
                return Outcome(device.name, started, "failed", reason, duration_s=took)

            try:
                params = connection_params(inv, device, environ)
            except SshError as exc:
                return failed(str(exc))
            model = model_for(device.netmiko_device_type)
            holder = Connection()
            try:
                fetched = await asyncio.wait_for(
                    _in_thread(fetch, device, model, params, deadline_s, holder), deadline_s
                )
            except TimeoutError:
                holder.close()
                return failed(TIMED_OUT)
            except Exception as exc:
                return failed(_reason(exc))
            cleaned = clean(model, fetched.outputs, store.key, fetched.author_text)
            if cleaned.text is None:
                return failed(cleaned.reason or "no output")
            author = cleaned.author or (authors or {}).get(device.name)
            done = await asyncio.to_thread(
                store.history.record, device.name, cleaned.text, author, started
            )
            took = time.monotonic() - began
            if not done.commit:
                return Outcome(device.name, started, "unchanged", duration_s=took)
            return Outcome(
                device.name,
                started,
                "changed",
                None,
                done.commit,
                author,
                done.added,
                done.removed,
                done.changes,
                took,
            )

    outcomes = list(await asyncio.gather(*(one(d) for d in devices)))
    store.remember(outcomes)
    failed: dict[str, list[str]] = {}
    for o in outcomes:
        if o.status == "failed":
            failed.setdefault(o.reason or "failed", []).append(o.device)
    for reason, names in failed.items():  # one line per reason, not per device
        log.warning("config backup of %s failed: %s", ", ".join(names), reason)
    return outcomes


async def _in_thread(
    fetch: Fetch,
    device: Device,
    model: Model,
    params: dict[str, Any],
    deadline_s: float,
    holder: Connection,
) -> Fetched:
    """`fetch` on a thread of its own (a daemon): a session past its deadline is closed and
    left to end by itself, and nothing (not even the end of the run) waits for it."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Fetched] = loop.create_future()

    def settle(result: Fetched | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            assert result is not None
            done.set_result(result)

    def work() -> None:
        result, error = None, None
        try:
            result = fetch(device, model, params, deadline_s, holder)
        except BaseException as exc:
            error = exc
        # Past the deadline the run may be over and its loop closed: nobody waits any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name=f"config-{device.name}", daemon=True).start()
    return await done


def _reason(exc: BaseException) -> str:
    name = type(exc).__name__
    if "Authentication" in name:
        return "the device refused the login"
    if "Timeout" in name or isinstance(exc, TimeoutError):
        return TIMED_OUT
    if isinstance(exc, ConnectionRefusedError) or "Connection refused" in str(exc):
        return "SSH connection refused"
    return f"{name}: {redact.first_line(exc)}"[:160]
