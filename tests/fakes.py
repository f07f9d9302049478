"""A collector on the simulated devices without the network: fast, deterministic."""

from __future__ import annotations

import asyncio
from pathlib import Path

from noc.inventory import load_inventory
from noc.lab.builder import build_lab
from noc.lab.device import SimDevice
from noc.polling.poller import Poller
from noc.snmp.client import RequestStats, Target
from noc.snmp.fake import FakeSnmpClient
from noc.snmp.values import Oid

T0 = 1_796_090_400.0  # 2026-12-01 09:00 WIB, office hours


class LabViews(FakeSnmpClient):
    """Answers from the simulated devices' views at the test's clock."""

    def __init__(self, devices: dict[str, SimDevice], clock: list[float]) -> None:
        super().__init__({})
        self.devices, self.clock = devices, clock

    def _mib(self, target: Target, stats: RequestStats) -> tuple[list[Oid], dict[Oid, object]]:  # type: ignore[override]
        device = self.devices[target.name]
        if device.down:
            self.silent.add(target.name)
        else:
            self.silent.discard(target.name)
            self.mibs[target.name] = {o: device.get(o, self.clock[0]) for o in device._order}
        return super()._mib(target, stats)  # type: ignore[return-value]


def simulated_poller(
    inventory: Path, polls: int = 2, step: float = 60.0
) -> tuple[Poller, dict[str, SimDevice], list[float]]:
    """A collector that has polled every simulated device `polls` times, `step` s apart."""
    inv = load_inventory(inventory)
    clock = [T0]
    devices = {a.device.name: a.device for a in build_lab(inv, T0 - 86400)}
    poller = Poller(inv, LabViews(devices, clock), clock=lambda: clock[0])
    for n in range(polls):
        if n:
            clock[0] += step
        asyncio.run(poller.poll_all())
    return poller, devices, clock
