"""A long-lived child process beside the collector (the trap and syslog receiver, the flow
collector): spawned, fed nothing but "stop", read message by message on the event loop, and
started again when it dies. The child ignores SIGINT and SIGTERM: the parent stops it through
the pipe, and a parent that dies closes the pipe, which ends the child too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
RESTART_S = 5.0


async def supervise(
    name: str,
    what: str,
    target: Callable[..., None],
    args: tuple[Any, ...],
    take: Callable[[Any], None],
    stop: asyncio.Event,
    started: Callable[[Callable[[Any], None]], None] | None = None,
) -> int:
    """Keep `target(conn, *args)` running in a child until `stop`, giving each message it sends
    to `take` (and, each time it starts, a way to send it messages to `started`); how many
    times it was started again."""
    restarts = 0
    while not stop.is_set():
        code = await _once(name, target, args, take, stop, started)
        if stop.is_set():
            break
        restarts += 1
        log.warning("the %s ended (exit %s); starting it again", what, code)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RESTART_S)
    return restarts


async def _once(
    name: str,
    target: Callable[..., None],
    args: tuple[Any, ...],
    take: Callable[[Any], None],
    stop: asyncio.Event,
    started: Callable[[Callable[[Any], None]], None] | None,
) -> int | None:
    ctx = multiprocessing.get_context("spawn")
    mine, theirs = ctx.Pipe(duplex=True)
    proc = ctx.Process(target=target, args=(theirs, *args), name=name, daemon=True)
    proc.start()
    theirs.close()
    if started is not None:
        started(mine.send)
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()

    def readable() -> None:
        try:
            while mine.poll():
                take(mine.recv())
        except (EOFError, OSError):
            loop.remove_reader(mine.fileno())
            ended.set()

    loop.add_reader(mine.fileno(), readable)
    try:
        stopping = asyncio.create_task(stop.wait())
        ending = asyncio.create_task(ended.wait())
        await asyncio.wait({stopping, ending}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        ending.cancel()
    finally:
        if not ended.is_set():
            loop.remove_reader(mine.fileno())
        with contextlib.suppress(OSError):
            mine.send("stop")
        mine.close()
        await asyncio.to_thread(proc.join, 10)
        if proc.is_alive():
            proc.kill()
            await asyncio.to_thread(proc.join, 5)
    return proc.exitcode
