"""An SNMP v2c 'agent' that answers quickly but never lets a walk end, run as its own process:

    python -m tests.hostile_agent MODE PORT

- `endless`: every column has one more row, forever;
- `bigtable`: 20,000 rows per column, each value 1,400 bytes;
- `flood`: an endless walk whose every reply is sent 20 times, with garbage between.

Scalars (GET) get plausible answers, so the poll reaches its walk. Prints READY when bound."""

from __future__ import annotations

import socket
import sys

from noc.snmp import ber
from noc.snmp.values import Oid

SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
BIG_ROWS = 20_000
BIG_VALUE = b"x" * 1400
TIMETICKS = 0x43
END_OF_MIB_VIEW = bytes((0x82, 0))


def _varbind(oid: Oid, value: bytes) -> bytes:
    return ber.tlv(ber.SEQUENCE, ber.encode_oid(oid) + value)


def _response(request_id: int, varbinds: list[bytes]) -> bytes:
    body = (
        ber.encode_integer(request_id)
        + ber.encode_integer(0)
        + ber.encode_integer(0)
        + ber.tlv(ber.SEQUENCE, b"".join(varbinds))
    )
    return ber.encode_community_message(1, b"public", ber.tlv(ber.RESPONSE, body))


class Agent:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.roots: set[Oid] = set()

    def _root_and_index(self, name: Oid) -> tuple[Oid, int]:
        for root in self.roots:
            if len(name) == len(root) + 1 and name[: len(root)] == root:
                return root, name[-1]
        self.roots.add(name)  # the first request of a walk names the column itself
        return name, 0

    def answer(self, data: bytes) -> bytes | None:
        try:
            request = ber.decode_community_message(data)
        except ber.DecodeError:
            return None
        pdu = request.pdu
        names = [oid for oid, _ in pdu.decoded()]
        if pdu.pdu_type == ber.GET:
            out = [
                _varbind(
                    n,
                    ber.encode_unsigned(4242, TIMETICKS)
                    if n == SYS_UPTIME
                    else ber.tlv(ber.OCTET_STRING, b"hostile"),
                )
                for n in names
            ]
            return _response(pdu.request_id, out)
        repetitions = max(1, pdu.error_index)  # GETBULK: max-repetitions
        value = ber.tlv(ber.OCTET_STRING, b"v")
        if self.mode == "bigtable":
            value = ber.tlv(ber.OCTET_STRING, BIG_VALUE)
            repetitions = max(1, min(repetitions, 60_000 // (1450 * max(1, len(names)))))
        out = []
        cursors = [self._root_and_index(n) for n in names]
        for step in range(1, repetitions + 1):
            for root, index in cursors:
                if self.mode == "bigtable" and index + step > BIG_ROWS:
                    out.append(_varbind((*root, index + step), END_OF_MIB_VIEW))
                else:
                    out.append(_varbind((*root, index + step), value))
        return _response(pdu.request_id, out)


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    agent = Agent(mode)
    print("READY", flush=True)
    while True:
        data, peer = sock.recvfrom(65535)
        reply = agent.answer(data)
        if reply is None:
            continue
        for _ in range(20 if mode == "flood" else 1):
            sock.sendto(reply, peer)
            if mode == "flood":
                sock.sendto(b"\x30\x03\x02\x01\x01", peer)


if __name__ == "__main__":
    main()
