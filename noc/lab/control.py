"""The lab's control channel: JSON lines over a Unix socket (status, scenarios)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from noc.errors import NocError
from noc.lab.agent import LabResponder
from noc.lab.builder import LabAgent
from noc.lab.device import Neighbour
from noc.lab.egov import SERVICE_SCENARIOS, LabServices
from noc.lab.flowexport import LabFlowExporter
from noc.lab.scenarios import ScenarioError, apply


class LabControlError(NocError):
    pass


def describe(agent: LabAgent, now: float) -> dict[str, Any]:
    d = agent.device
    return {
        "name": d.name,
        "address": agent.address,
        "port": agent.port,
        "uptime_s": round(now - d.boot_time, 2),
        "scenarios": dict(d.active),
        "interfaces": [
            {
                "index": i.index,
                "name": i.name,
                "oper_up": i.oper_up,
                "in_bps": round(i.rx.rate_bps(now), 3),
                "out_bps": round(i.tx.rate_bps(now), 3),
                "contract_bps": i.contract_bps,
                "speed_bps": i.speed_bps,
            }
            for i in d.interfaces
        ],
    }


class ControlServer:
    def __init__(
        self,
        agents: list[LabAgent],
        responder: LabResponder,
        notify: Callable[[str, str, bool], None] | None = None,
    ) -> None:
        self.by_name = {a.device.name: a for a in agents}
        self.notify = notify  # told of each scenario change (the devices' traps and syslog)
        self.stats = responder
        self.clock = responder.clock
        self.started = time.time()
        self.egov: LabServices | None = None  # the e-government services, when served
        self.flows: LabFlowExporter | None = None  # the uplink router's IPFIX, when exported
        self.saved_neighbours: dict[str, list[Neighbour]] = {}  # before a re-aim

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        command = request.get("command")
        if command == "advance":
            try:
                now = self.clock.advance(float(request.get("seconds", 0)))
            except ValueError as exc:
                return {"ok": False, "error": str(exc)}
            return {"ok": True, "now": now, "offset_s": self.clock.offset_s}
        if command == "status":
            names = request.get("devices") or list(self.by_name)
            return {
                "ok": True,
                "started": self.started,
                "now": now,
                "served": self.stats.served,
                "dropped": self.stats.dropped,
                "devices": [describe(self.by_name[n], now) for n in names if n in self.by_name],
            }
        if command == "scenario":
            agent = self.by_name.get(str(request.get("device")))
            if agent is None:
                return {"ok": False, "error": f"unknown device {request.get('device')!r}"}
            try:
                apply(
                    agent.device,
                    str(request.get("name")),
                    now,
                    enable=bool(request.get("enable", True)),
                    param=request.get("param"),
                )
            except ScenarioError as exc:
                return {"ok": False, "error": str(exc)}
            if self.notify is not None:
                self.notify(
                    agent.device.name, str(request.get("name")), bool(request.get("enable", True))
                )
            return {"ok": True, "device": describe(agent, now)}
        if command == "flows":
            if self.flows is None:
                return {"ok": False, "error": "the lab exports no flows (serve it with --flows-to)"}
            if request.get("name") == "status":
                return {"ok": True, "sent_octets": self.flows.sent_octets}
            try:
                self.flows.scenario(str(request.get("name")), now)
            except ValueError as exc:
                return {"ok": False, "error": str(exc)}
            return {"ok": True}
        if command == "service":
            return self._service(request)
        if command == "reaim":
            return self._reaim(request)
        return {"ok": False, "error": f"unknown command {command!r}"}

    def _reaim(self, request: dict[str, Any]) -> dict[str, Any]:
        """A radio re-aimed: `device` now hangs from `to` instead of `away_from`, and the three
        devices' neighbour tables say so; `off` puts them back as they were."""
        names = [str(request.get(k)) for k in ("device", "away_from", "to")]
        agents = [self.by_name.get(n) for n in names]
        if any(a is None for a in agents):
            return {"ok": False, "error": f"unknown device among {', '.join(names)}"}
        moving, old, new = (a.device for a in agents if a is not None)
        if request.get("off"):
            for dev in (moving, old, new):
                saved = self.saved_neighbours.pop(dev.name, None)
                if saved is not None:
                    dev.neighbours = saved
                    dev.rebuild()
            return {"ok": True}
        toward = next((nb for nb in moving.neighbours if nb.name == old.name), None)
        if toward is None:
            return {"ok": False, "error": f"{moving.name} does not hang from {old.name}"}
        for dev in (moving, old, new):
            self.saved_neighbours.setdefault(dev.name, list(dev.neighbours))
        port = new.interfaces[-1].name
        address = next(a.address for a in agents if a is not None and a.device is new)
        moving.neighbours = [nb for nb in moving.neighbours if nb is not toward] + [
            Neighbour(toward.interface, new.name, port, address)
        ]
        old.neighbours = [nb for nb in old.neighbours if nb.name != moving.name]
        mine = next(a.address for a in agents if a is not None and a.device is moving)
        new.neighbours = [*new.neighbours, Neighbour(port, moving.name, toward.interface, mine)]
        for dev in (moving, old, new):
            dev.rebuild()
        return {"ok": True}

    def _service(self, request: dict[str, Any]) -> dict[str, Any]:
        """A service's scenario (down, slow, content) on every server it is checked at, or a
        vantage point's uplink cut (`cut`, the vantage point's source address as param)."""
        egov = self.egov
        if egov is None:
            return {"ok": False, "error": "this lab serves no services (`noc demo` does)"}
        name, which = str(request.get("service")), str(request.get("name"))
        enable = bool(request.get("enable", True))
        if which == "cut":
            source = str(request.get("param") or "")
            if not source:
                return {"ok": False, "error": "cut needs --param SOURCE_ADDRESS"}
            (egov.cut.add if enable else egov.cut.discard)(source)
            return {"ok": True, "cut": sorted(egov.cut)}
        if which not in SERVICE_SCENARIOS:
            return {
                "ok": False,
                "error": f"unknown scenario {which!r}: {', '.join(SERVICE_SCENARIOS)}",
            }
        targets = egov.served.get(name)
        if targets is None:
            return {"ok": False, "error": f"unknown service {name!r}: {', '.join(egov.served)}"}
        for target in targets:
            egov.scenario(target, which, enable)
        return {"ok": True, "service": name, "servers": targets}

    async def serve(self, path: Path) -> asyncio.AbstractServer:
        path.unlink(missing_ok=True)

        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while line := await reader.readline():
                    try:
                        reply = self.handle(json.loads(line))
                    except (ValueError, TypeError) as exc:
                        reply = {"ok": False, "error": f"bad request: {exc}"}
                    writer.write(json.dumps(reply).encode() + b"\n")
                    await writer.drain()
            finally:
                writer.close()

        return await asyncio.start_unix_server(client, path=str(path))


def call(path: Path, request: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send one request to a running lab and return its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except OSError as exc:
            raise LabControlError(f"the lab is not running ({path}: {exc.strerror})") from None
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    reply: dict[str, Any] = json.loads(data)
    if not reply.get("ok"):
        raise LabControlError(str(reply.get("error")))
    return reply
