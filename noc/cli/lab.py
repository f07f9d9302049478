"""`noc lab`: the simulated Kota Bogor network, answering SNMP on loopback."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    names_or_exit,
    print_json,
    setup_logging,
)
from noc.inventory import InventoryError, load_inventory
from noc.lab.control import LabControlError, call
from noc.lab.scenarios import SCENARIOS
from noc.paths import default_inventory, var_dir

app = typer.Typer(help="Run the simulated network (SNMP agents on loopback).", no_args_is_help=True)

RecordingsOption = Annotated[
    Path | None,
    typer.Option(
        help="also serve every .snmprec in this folder (at 127.0.9.N, community = file stem)"
    ),
]


def lab_dir() -> Path:
    path = var_dir() / "lab"
    path.mkdir(parents=True, exist_ok=True)
    return path


def socket_path() -> Path:
    return lab_dir() / "control.sock"


def _pid() -> int | None:
    try:
        pid = int((lab_dir() / "lab.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


@app.command()
def serve(
    inventory: InventoryOption = None,
    recordings: RecordingsOption = None,
    recordings_port: Annotated[int, typer.Option(help="UDP port of the recordings")] = 161,
    traps_to: Annotated[
        str | None, typer.Option(help="HOST:PORT the devices send traps to (loopback)")
    ] = None,
    syslog_to: Annotated[
        str | None, typer.Option(help="HOST:PORT the devices send syslog to (loopback)")
    ] = None,
    flows_to: Annotated[
        str | None, typer.Option(help="HOST:PORT the uplink router exports IPFIX to (loopback)")
    ] = None,
) -> None:
    """Run the lab in the foreground until interrupted."""
    from noc.lab.runner import run

    setup_logging(logging.INFO)
    try:
        asyncio.run(
            run(
                inventory or default_inventory(),
                socket_path(),
                recordings,
                recordings_port,
                _loopback(traps_to),
                _loopback(syslog_to),
                _loopback(flows_to),
            )
        )
    except OSError as exc:
        err_console.print(f"the lab cannot listen: {exc}")
        raise typer.Exit(1) from None


@app.command()
def up(
    inventory: InventoryOption = None,
    recordings: RecordingsOption = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait until every agent answers")] = 60,
) -> None:
    """Start the lab in the background and wait until it answers."""
    if _pid() is not None:
        console.print(f"lab already running (pid {_pid()})")
        return
    try:
        call(socket_path(), {"command": "status"}, timeout=2)
    except LabControlError:
        pass
    else:
        err_console.print(
            f"a simulated network already answers on {socket_path()} (`noc demo`?); nothing started"
        )
        raise typer.Exit(1)
    args = [
        sys.executable,
        "-m",
        "noc",
        "lab",
        "serve",
        "--inventory",
        str(inventory or default_inventory()),
    ]
    if recordings is not None:
        args += ["--recordings", str(recordings)]
    log_path = lab_dir() / "lab.log"
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            args,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (lab_dir() / "lab.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    with console.status("starting the simulated network..."):
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err_console.print(f"the lab exited (code {proc.returncode}); see {log_path}:")
                err_console.print(log_path.read_text()[-2000:], markup=False)
                raise typer.Exit(1)
            try:
                reply = call(socket_path(), {"command": "status"}, timeout=2)
                break
            except LabControlError:
                time.sleep(0.2)
        else:
            err_console.print(f"the lab did not answer within {timeout:g}s; see {log_path}")
            raise typer.Exit(1)
    time.sleep(0.5)  # an agent that cannot bind its port exits right after the control socket
    if proc.poll() is not None:
        err_console.print(f"the lab exited (code {proc.returncode}); see {log_path}:")
        err_console.print(log_path.read_text()[-2000:], markup=False)
        raise typer.Exit(1)
    console.print(f"lab up (pid {proc.pid}): {len(reply['devices'])} agents answering SNMP")


@app.command()
def down() -> None:
    """Stop the background lab."""
    pid = _pid()
    if pid is None:
        console.print("lab not running")
        return
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    (lab_dir() / "lab.pid").unlink(missing_ok=True)
    console.print("lab down")


def _status(devices: list[str] | None = None) -> dict[str, Any]:
    try:
        return call(socket_path(), {"command": "status", "devices": devices or []})
    except LabControlError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None


@app.command()
def status(
    device: Annotated[list[str] | None, typer.Argument(help="only these devices")] = None,
    as_json: JsonOption = False,
) -> None:
    """Agents, their scenarios and the traffic they advertise right now."""
    reply = _status(device)
    if as_json:
        print_json(reply)
        return
    table = Table(title=f"lab: {reply['served']} responses served, {reply['dropped']} dropped")
    for col in (
        "device",
        "address",
        "uptime",
        "scenarios",
        "busiest interface",
        "in Mbps",
        "out Mbps",
    ):
        table.add_column(col)
    for dev in reply["devices"]:
        busiest = max(dev["interfaces"], key=lambda i: i["in_bps"], default=None)
        table.add_row(
            dev["name"],
            f"{dev['address']}:{dev['port']}",
            f"{dev['uptime_s'] / 86400:.1f} d",
            ", ".join(f"{k}={v}" if v else k for k, v in dev["scenarios"].items()),
            busiest["name"] if busiest else "",
            f"{busiest['in_bps'] / 1e6:.2f}" if busiest else "",
            f"{busiest['out_bps'] / 1e6:.2f}" if busiest else "",
        )
    console.print(table)


@app.command()
def reaim(
    device: Annotated[str, typer.Argument(help="the device whose radio is re-aimed")],
    to: Annotated[str, typer.Option("--to", help="the device it now hangs from")],
    off: Annotated[bool, typer.Option("--off", help="aim it back")] = False,
) -> None:
    """Re-aim a radio in the running lab: DEVICE's neighbour tables (and its old and new
    parents') say it now hangs from --to, as `noc discover --check` should notice."""
    inv = inventory_or_exit(default_inventory())
    name = names_or_exit(inv, [device])[0]
    parent = inv.device(name).parent
    if parent is None:
        err_console.print(f"{name} hangs from nothing in the inventory")
        raise typer.Exit(2)
    request = {"command": "reaim", "device": name, "away_from": parent, "to": to, "off": off}
    try:
        call(socket_path(), request)
    except LabControlError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    console.print(f"{name}: {'back under ' + parent if off else 'now under ' + to}")


@app.command()
def service(
    name: Annotated[str, typer.Argument(help="a service of the inventory (or - for cut)")],
    which: Annotated[str, typer.Argument(help="down, slow, content, or cut")],
    param: Annotated[
        str | None, typer.Option(help="cut: the vantage point's source address")
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="switch the scenario off")] = False,
) -> None:
    """Switch a scenario of the demo's e-government services on (or off): a service down
    (its servers refuse), slow (8 s), serving the wrong page, or a vantage point's uplink cut
    (nothing answers its source address). The intermediate CA expires in 10 days throughout."""
    request = {"command": "service", "service": name, "name": which, "enable": not off}
    request["param"] = param
    try:
        answer = call(socket_path(), request)
    except LabControlError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    shown = ", ".join(answer.get("servers") or answer.get("cut") or [])
    console.print(f"{name}: {which} {'off' if off else 'on'} ({shown})")


@app.command()
def flows(
    which: Annotated[
        str, typer.Argument(help="restart, sampling, sampling-unsaid, normal, pause or resume")
    ],
) -> None:
    """Switch the uplink router's flow export: restart it (its template comes back in another
    layout, one refresh late), sample 1 in 10 (saying so, or not), back to normal, or pause and
    resume its export."""
    try:
        call(socket_path(), {"command": "flows", "name": which})
    except LabControlError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    console.print(f"flow export: {which}")


@app.command()
def scenario(
    device: Annotated[str, typer.Argument(help="device name")],
    name: Annotated[str, typer.Argument(help=f"one of: {', '.join(SCENARIOS)}")],
    param: Annotated[str | None, typer.Option(help="the scenario's parameter")] = None,
    off: Annotated[bool, typer.Option("--off", help="switch the scenario off")] = False,
) -> None:
    """Switch a scenario on (or off) on a running lab device."""
    try:
        inv = load_inventory(default_inventory())
    except InventoryError:
        inv = None  # the lab may serve another inventory; it checks the name itself
    if inv is not None and device not in inv.devices_by_name:
        device = names_or_exit(inv, [device])[0]
    try:
        call(
            socket_path(),
            {
                "command": "scenario",
                "device": device,
                "name": name,
                "enable": not off,
                "param": param,
            },
        )
    except LabControlError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    console.print(f"{device}: {name} {'off' if off else 'on'}")


@app.command()
def advance(
    seconds: Annotated[float, typer.Argument(help="how far to move the lab's time forward")],
) -> None:
    """Move the simulated network's time forward (counters, uptimes and the daily traffic
    curve jump together; it never goes back). The collector sees the jump as that much traffic
    in one poll interval, so rates are high for one poll."""
    try:
        reply = call(socket_path(), {"command": "advance", "seconds": seconds})
    except LabControlError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    zone = ZoneInfo("Asia/Jakarta")
    at = datetime.fromtimestamp(reply["now"], zone)
    console.print(f"lab time: {at:%Y-%m-%d %H:%M:%S} WIB ({reply['offset_s']:g} s ahead)")


def _loopback(target: str | None) -> tuple[str, int] | None:
    """HOST:PORT on loopback: the lab's devices speak to the NOC on this machine only."""
    if target is None:
        return None
    import ipaddress

    host, _, port = target.rpartition(":")
    try:
        if not ipaddress.ip_address(host).is_loopback or not 0 < int(port) < 65536:
            raise ValueError
    except ValueError:
        err_console.print(f"--traps-to/--syslog-to: {target!r} is not a loopback HOST:PORT")
        raise typer.Exit(2) from None
    return host, int(port)
