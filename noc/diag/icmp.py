"""ICMP echo and a hop-by-hop trace (icmplib: raw sockets as root, datagram ICMP otherwise)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import icmplib

from noc.diag.result import DiagError


def _privileged() -> bool:
    return os.geteuid() == 0


async def ping(
    address: str, count: int = 4, interval: float = 0.2, timeout: float = 1.0
) -> dict[str, Any]:
    try:
        host = await icmplib.async_ping(
            address, count=count, interval=interval, timeout=timeout, privileged=_privileged()
        )
    except icmplib.ICMPLibError as exc:
        raise DiagError(f"cannot send ICMP to {address}: {exc}") from None
    return {
        "address": address,
        "sent": host.packets_sent,
        "received": host.packets_received,
        "loss": host.packet_loss,
        "min_ms": host.min_rtt if host.is_alive else None,
        "avg_ms": host.avg_rtt if host.is_alive else None,
        "max_ms": host.max_rtt if host.is_alive else None,
    }


async def trace(address: str, max_hops: int = 30, timeout: float = 1.0) -> list[dict[str, Any]]:
    if not _privileged():
        raise DiagError("trace needs raw ICMP sockets: run it as root (or use ping)")

    def run() -> list[Any]:
        hops: list[Any] = icmplib.traceroute(
            address,
            count=2,
            interval=0.05,
            timeout=timeout,
            max_hops=max_hops,
            fast=True,
        )
        return hops

    try:
        hops = await asyncio.to_thread(run)
    except icmplib.ICMPLibError as exc:
        raise DiagError(f"cannot trace to {address}: {exc}") from None
    return [
        {"hop": h.distance, "address": h.address, "avg_ms": h.avg_rtt, "loss": h.packet_loss}
        for h in hops
    ]
