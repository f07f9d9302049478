"""`noc services`: the e-government services as the vantage points see them; `noc probe`: a
light vantage point outside the city's network that checks them and reports to the NOC."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    print_json,
    store_engine,
)
from noc.cli.maintenance import DatabaseOption
from noc.inventory.services import address_port
from noc.services import votes
from noc.services.report import overview
from noc.services.votes import Ballot
from noc.services.watch import Vantage, Watcher

COLOURS = {"up": "green", "down": "red", "unknown": "yellow"}


def services(
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    inventory: InventoryOption = None,
) -> None:
    """Each service: up or down by the vantage points' quorum, the reason naming the split,
    each vantage point's last vote, and the certificate that expires first."""
    inv = inventory_or_exit(inventory)
    now = time.time()
    found = overview(inv, votes.read(store_engine(database, read_only=True)), now)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("no services in the inventory (`services:`)")
        return
    zone = ZoneInfo(inv.network.timezone)
    console.print("services, by their vantage points (times in WIB)\n")
    for s in found:
        state = s["state"]
        console.print(
            f"[bold]{s['service']}[/]  {escape(s['title'])}  "
            f"[{COLOURS[state]}]{state.upper()}[/]  (target {s['target']:g}%)"
        )
        if s["reason"]:
            console.print(f"  {escape(s['reason'])}")
        shown = []
        for v in s["votes"]:
            mark = "abstains" if v["abstain"] else ("up" if v["ok"] else "down")
            when = datetime.fromtimestamp(v["at"], zone).strftime("%H:%M:%S")
            shown.append(f"{v['vantage']}{' (outside)' if v['external'] else ''} {mark} {when}")
        console.print("  " + (" · ".join(shown) or "no vote yet"))
        cert = s["soonest_certificate"]
        if cert:
            console.print(
                f"  first certificate to expire: {escape(cert['subject'])} "
                f"({cert['role']}, {cert['host']}) in {cert['days']:g} days"
            )
        console.print()


def probe(
    name: Annotated[str, typer.Option("--name", help="this probe's name, e.g. ext-jakarta")],
    report_to: Annotated[str, typer.Option(help="the NOC's API, e.g. https://noc.kotabogor.go.id")],
    source: Annotated[str | None, typer.Option(help="the local address to check from")] = None,
    canary: Annotated[
        str | None,
        typer.Option(help="ADDRESS:PORT whose answer proves this probe's own uplink"),
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option(help="CAs to trust beside the system's (PEM)")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="one round, then exit")] = False,
    inventory: InventoryOption = None,
) -> None:
    """Check the services from outside the city's network and report to the NOC's API with
    a `probe` token (from NOC_PROBE_TOKEN). The probe's vote counts in each service's quorum;
    with its own uplink down (its canary does not answer) it abstains."""
    inv = inventory_or_exit(inventory)
    token = os.environ.get("NOC_PROBE_TOKEN", "")
    if not token:
        err_console.print("set NOC_PROBE_TOKEN to a token of the probe role (`noc token create`)")
        raise typer.Exit(2)
    if canary is not None:
        try:
            address_port(canary)
        except ValueError as exc:
            err_console.print(f"--canary: {exc}")
            raise typer.Exit(2) from None
    vantage = Vantage(name, source, canary, external=True, ca_file=ca_file)
    url = report_to.rstrip("/") + "/api/v1/services/votes"

    async def hand_on(ballots: list[Ballot]) -> None:
        body = json.dumps(_report(name, ballots)).encode()
        await asyncio.to_thread(_post, url, token, body)

    async def run() -> None:
        watcher = Watcher(inv, vantage)
        if once:
            await hand_on(await watcher.round(list(watcher.services)))
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await watcher.run(stop, hand_on)

    asyncio.run(run())


def _report(name: str, ballots: list[Ballot]) -> dict[str, Any]:
    return {
        "vantage": name,
        "ballots": [
            {
                "service": b.service,
                "ok": b.vote.ok,
                "abstain": b.vote.abstain,
                "reason": b.vote.reason,
                "checks": list(b.checks),
            }
            for b in ballots
        ],
    }


def _post(url: str, token: str, body: bytes) -> None:
    request = urllib.request.Request(  # noqa: S310 (the NOC's own API, named by the operator)
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            answer.read()
    except urllib.error.HTTPError as exc:
        err_console.print(f"the NOC refused the report: {exc.code} {exc.reason}")
    except OSError as exc:
        err_console.print(f"the NOC did not take the report: {exc}")
