"""Scenarios that can be switched on and off on a running simulated device.

Each scenario changes the device the way the real failure would, so a collector sees from
outside exactly what it would see in the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from noc.errors import NocError
from noc.lab.device import C32, SimDevice


class ScenarioError(NocError, ValueError):
    pass


@dataclass(frozen=True)
class Scenario:
    name: str
    help: str
    default: str | None  # default parameter, None when it takes none
    on: Callable[[SimDevice, float, str | None], None]
    off: Callable[[SimDevice, float, str | None], None]


def _down_on(d: SimDevice, t: float, _: str | None) -> None:
    d.down = True


def _down_off(d: SimDevice, t: float, _: str | None) -> None:
    d.down = False


def _iface(d: SimDevice, name: str | None) -> list[str]:
    if name:
        d.interface(name)  # raises KeyError for a wrong name
        return [name]
    return [d.interfaces[0].name]


def _iface_down_on(d: SimDevice, t: float, param: str | None) -> None:
    for name in _iface(d, param):
        iface = d.interface(name)
        iface.oper_up = False
        iface.set_running(t, False)


def _iface_down_off(d: SimDevice, t: float, param: str | None) -> None:
    for name in _iface(d, param):
        iface = d.interface(name)
        iface.oper_up = True
        iface.set_running(t, True)


def _congestion_on(d: SimDevice, t: float, param: str | None) -> None:
    load = float(param or "0.99")
    for iface in d.interfaces:
        cap = iface.contract_bps or 0
        if cap:
            for flow, share in ((iface.rx, load), (iface.tx, load * 0.5)):
                flow.rebase(t)
                flow.constant_bps = min(cap * share, iface.speed_bps)


def _congestion_off(d: SimDevice, t: float, _: str | None) -> None:
    for iface in d.interfaces:
        for flow in (iface.rx, iface.tx):
            flow.rebase(t)
            flow.constant_bps = None


def _wrap_on(d: SimDevice, t: float, param: str | None) -> None:
    """Hide the 64-bit counters and move the 32-bit ones so they wrap `param` seconds from now.
    The move is a discontinuity, so it is announced in ifCounterDiscontinuityTime."""
    seconds = float(param or "20")
    d.hc_hidden = True
    d.discontinuity_ticks = d.uptime_ticks(t)
    for iface in d.interfaces:
        for flow in (iface.rx, iface.tx):
            ahead = int(flow.rate_bps(t) / 8 * seconds)
            flow.offset32 = (C32 - ahead - flow.octets(t)) % C32
    d.rebuild()


def _wrap_off(d: SimDevice, t: float, _: str | None) -> None:
    d.hc_hidden = False
    d.discontinuity_ticks = d.uptime_ticks(t)
    for iface in d.interfaces:
        iface.rx.offset32 = iface.tx.offset32 = 0
    d.rebuild()


def _reboot(d: SimDevice, t: float, _: str | None) -> None:
    """The device restarts: sysUpTime from zero, every counter from zero."""
    d.boot_time = t
    d.discontinuity_ticks = 0
    for iface in d.interfaces:
        for flow in (iface.rx, iface.tx):
            flow.offset32 = 0
            flow.rebase(t, reset=True)


def _nothing(d: SimDevice, t: float, _: str | None) -> None:
    return None


def _slow_on(d: SimDevice, t: float, param: str | None) -> None:
    d.slow_s = float(param or "5")


def _slow_off(d: SimDevice, t: float, _: str | None) -> None:
    d.slow_s = 0.0


def _loss_on(d: SimDevice, t: float, param: str | None) -> None:
    loss = float(param or "0.5")
    if not 0 <= loss <= 1:
        raise ScenarioError("loss is a fraction between 0 and 1")
    d.loss = loss


def _loss_off(d: SimDevice, t: float, _: str | None) -> None:
    d.loss = 0.0


def _toobig_on(d: SimDevice, t: float, param: str | None) -> None:
    d.too_big_above = int(param or "5")


def _toobig_off(d: SimDevice, t: float, _: str | None) -> None:
    d.too_big_above = None


def _garbage_on(d: SimDevice, t: float, _: str | None) -> None:
    d.non_increasing = True


def _garbage_off(d: SimDevice, t: float, _: str | None) -> None:
    d.non_increasing = False


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("down", "the device stops answering", None, _down_on, _down_off),
        Scenario(
            "iface-down",
            "an interface goes down (param: interface name)",
            "",
            _iface_down_on,
            _iface_down_off,
        ),
        Scenario(
            "congestion",
            "linked interfaces run at a share of their contract (param: share)",
            "0.99",
            _congestion_on,
            _congestion_off,
        ),
        Scenario(
            "wrap",
            "32-bit counters only, wrapping in N seconds (param: seconds)",
            "20",
            _wrap_on,
            _wrap_off,
        ),
        Scenario(
            "reboot",
            "restart now: sysUpTime and counters from zero (one-shot)",
            None,
            _reboot,
            _nothing,
        ),
        Scenario("slow", "answer after N seconds (param: seconds)", "5", _slow_on, _slow_off),
        Scenario(
            "loss", "drop a share of requests (param: share 0..1)", "0.5", _loss_on, _loss_off
        ),
        Scenario(
            "toobig",
            "tooBig for GETBULK above N repetitions (param: N)",
            "5",
            _toobig_on,
            _toobig_off,
        ),
        Scenario(
            "garbage",
            "walks answer non-increasing OIDs (a broken agent)",
            None,
            _garbage_on,
            _garbage_off,
        ),
    )
}

ONE_SHOT = frozenset({"reboot"})


def apply(d: SimDevice, name: str, t: float, *, enable: bool, param: str | None = None) -> None:
    scenario = SCENARIOS.get(name)
    if scenario is None:
        raise ScenarioError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    if scenario.default is None and param:
        raise ScenarioError(f"scenario {name!r} takes no parameter")
    param = param or scenario.default or None
    try:
        if enable:
            scenario.on(d, t, param)
            if name not in ONE_SHOT:
                d.active[name] = param or ""
        else:
            scenario.off(d, t, d.active.pop(name, param) or param)
    except KeyError as exc:
        raise ScenarioError(str(exc.args[0])) from None
    except ValueError as exc:
        raise ScenarioError(f"bad parameter for {name!r}: {exc}") from None
