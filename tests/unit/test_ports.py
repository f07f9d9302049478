"""The tests' free loopback ports: never the same one twice in a process, even before the
first is bound (300 picks from the 12,768 low ports would almost surely repeat one)."""

from __future__ import annotations

import socket

from tests.ports import free_port


def test_a_port_handed_out_is_never_handed_out_again() -> None:
    single = [free_port("127.0.0.1") for _ in range(300)]
    ranges = [free_port("127.0.0.1", count=4) for _ in range(50)]
    taken = single + [p for base in ranges for p in range(base, base + 4)]
    assert len(set(taken)) == len(taken)
    udp = free_port("127.0.0.1", kind=socket.SOCK_DGRAM)
    assert udp not in taken
