"""Free loopback ports for the servers the tests start."""

from __future__ import annotations

import random
import socket
from contextlib import ExitStack

# The kernel hands out client (ephemeral) ports from 32768 up. A port taken from below that
# range cannot be grabbed by some other test's outgoing connection between this check and
# the server's own bind, as a port the kernel chose with bind(0) can.
_LOW, _HIGH = 20000, 32768
_pick = random.Random()
# Ports this process has handed out: a test that asks for several before binding any (a lab of
# four servers) must not get the same one twice, free as it still is at the second ask.
_given: set[int] = set()


def free_port(host: str = "127.0.0.1", count: int = 1, kind: int = socket.SOCK_STREAM) -> int:
    """The first of `count` consecutive ports on `host` that nothing holds now."""
    while True:
        base = _pick.randrange(_LOW, _HIGH - count)
        if _given.intersection(range(base, base + count)):
            continue
        with ExitStack() as held:
            try:
                for port in range(base, base + count):
                    held.enter_context(socket.socket(socket.AF_INET, kind)).bind((host, port))
            except OSError:
                continue
            _given.update(range(base, base + count))
            return base
