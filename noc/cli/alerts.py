"""`noc alerts`: Alertmanager's configuration from the inventory, and Alertmanager itself."""

from __future__ import annotations

import getpass
import re
import subprocess
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.table import Table

from noc.alerts.config import TEMPLATE, config_text, template_text
from noc.alerts.runtime import AlertmanagerMissing, alertmanager_command, runtime_files
from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    print_json,
)
from noc.inventory.secrets import SecretError

app = typer.Typer(
    help="Alerts: Alertmanager's configuration, and running it.", no_args_is_help=True
)
EXPORTERS = Path(__file__).resolve().parents[2] / "exporters" / "alertmanager"


@app.command()
def config(
    out: Annotated[Path, typer.Option(help="folder to write into")] = EXPORTERS,
    inventory: InventoryOption = None,
) -> None:
    """Write alertmanager.yml and its message template from the inventory's `alerting:`
    section (secrets stay ${VARIABLE} placeholders)."""
    inv = inventory_or_exit(inventory)
    if inv.alerting is None:
        err_console.print("the inventory has no `alerting:` section")
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    (out / "alertmanager.yml").write_text(config_text(inv), encoding="utf-8")
    (out / TEMPLATE).write_text(template_text(inv), encoding="utf-8")
    console.print(f"wrote {out / 'alertmanager.yml'} and {out / TEMPLATE}")


def runtime_config(inv_path: Path | None, var_dir: Path) -> Path:
    """Alertmanager's configuration with its secrets, or one line saying why not."""
    inv = inventory_or_exit(inv_path)
    if inv.alerting is None:
        err_console.print("the inventory has no `alerting:` section")
        raise typer.Exit(2)
    try:
        return runtime_files(inv, var_dir)
    except SecretError as exc:
        err_console.print(f"cannot configure Alertmanager: {exc}")
        raise typer.Exit(2) from None


@app.command()
def run(inventory: InventoryOption = None) -> None:
    """Run Alertmanager with the inventory's configuration and the secrets from the
    environment (written only to var/alertmanager/alertmanager.yml, mode 0600)."""
    from noc.settings import Settings

    settings = Settings()
    path = runtime_config(inventory or settings.inventory, settings.var_dir)
    inv = inventory_or_exit(inventory or settings.inventory)
    assert inv.alerting is not None
    url = urlsplit(inv.alerting.alertmanager_url)
    listen = f"{url.hostname}:{url.port or 9093}"
    console.print(f"Alertmanager on {listen}")
    try:
        command = alertmanager_command(path, listen)
    except AlertmanagerMissing as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    raise typer.Exit(subprocess.call(command))


AlertmanagerOption = Annotated[
    str | None,
    typer.Option("--alertmanager", help="Alertmanager's URL (default: the inventory's)"),
]


def _base(url: str | None, inventory: Path | None) -> str:
    if url:
        return url
    inv = inventory_or_exit(inventory)
    if inv.alerting is None:
        err_console.print("the inventory has no `alerting:` section; give --alertmanager")
        raise typer.Exit(2)
    return inv.alerting.alertmanager_url


def _duration(text: str) -> float:
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if match is None or int(match[1]) == 0:
        raise typer.BadParameter(f"{text!r}: give minutes, hours or days, e.g. 30m, 2h, 1d")
    return int(match[1]) * {"m": 60, "h": 3600, "d": 86400}[match[2]]


@app.command("list")
def list_(
    alertmanager: AlertmanagerOption = None,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Alerts in Alertmanager: firing, acknowledged (who, until when, why), silenced for
    maintenance, or inhibited behind a root cause."""
    from noc.alerts.silences import AlertmanagerError, AlertView, alerts

    try:
        views = alerts(_base(alertmanager, inventory))
    except AlertmanagerError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    if as_json:
        print_json([vars(v) for v in views])
        return
    if not views:
        console.print("no alert in Alertmanager")
        return
    table = Table(title="alerts (times in WIB)")
    for col in ("state", "group", "alert", "device", "since", "acknowledged by / why"):
        table.add_column(col, overflow="fold")
    style = {"firing": "bold red", "acknowledged": "yellow", "silenced": "blue"}

    def order(v: AlertView) -> tuple[bool, str, bool, str]:
        return v.state != "firing", v.group, v.alertname == "NocBehindRootCause", v.device or ""

    root_first = sorted(views, key=order)
    for v in root_first:
        note = f"{v.by}: {v.comment} (until {_wib(v.until)})" if v.by else ""
        table.add_row(
            f"[{style.get(v.state, 'dim')}]{v.state}[/]",
            v.group,
            v.alertname,
            v.device or "",
            _wib(v.since),
            note,
        )
    console.print(table)


def _wib(stamp: str | None) -> str:
    """An Alertmanager time (RFC 3339, UTC) in the network's zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if not stamp:
        return ""
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return f"{when.astimezone(ZoneInfo('Asia/Jakarta')):%Y-%m-%d %H:%M} WIB"


def operator() -> str:
    """Who is at the keyboard, as a person: $NOC_OPERATOR, else the login's full name (the
    account's GECOS field), else the login."""
    import os
    import pwd

    named = os.environ.get("NOC_OPERATOR", "").strip()
    if named:
        return named
    try:
        gecos = pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()
    except KeyError:
        gecos = ""
    return gecos or getpass.getuser()


@app.command()
def ack(
    group: Annotated[str, typer.Argument(help="the alert group: a root cause such as bts-05")],
    for_: Annotated[str, typer.Option("--for", help="how long: 30m, 2h, 1d")] = "2h",
    comment: Annotated[str, typer.Option(help="why, for the next shift")] = "",
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="who handles it, as the wall shows it (default: "
            "$NOC_OPERATOR, else the login's full name)",
        ),
    ] = None,
    alertmanager: AlertmanagerOption = None,
    inventory: InventoryOption = None,
) -> None:
    """Acknowledge an alert group: no repeat until the time is up (an Alertmanager silence),
    written in the audit log with who did it."""
    import time

    from noc.alerts.silences import AlertmanagerError, acknowledge
    from noc.cli.common import store_engine
    from noc.settings import Settings
    from noc.store.audit import AuditLog

    seconds = _duration(for_)
    inv = inventory_or_exit(inventory)
    if group not in inv.devices_by_name:  # a root cause is a device: forgive its spelling
        from noc.inventory.names import UnknownName, resolve

        try:
            group = resolve(group, inv.devices_by_name)
        except UnknownName as exc:
            if exc.suggestions:  # a near miss of a device name; other groups pass as given
                err_console.print(str(exc).replace("device", "alert group", 1), markup=False)
                raise typer.Exit(2) from None
    if not comment.strip():
        err_console.print("say why with --comment: the next shift reads it")
        raise typer.Exit(2)
    who = f"cli:{getpass.getuser()}"
    person = (by or operator()).strip()[:64] or getpass.getuser()
    now = time.time()
    try:
        silence, extended = acknowledge(
            _base(alertmanager, inventory), group, now, seconds, person, comment
        )
    except AlertmanagerError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    audit = AuditLog(store_engine(), Settings().var_dir / "audit-pending.jsonl")
    audit.record(
        who,
        "ack",
        None,
        {
            "group": group,
            "for_s": seconds,
            "comment": comment,
            "by": person,
            "silence": silence,
            "extended": extended,
        },
        "ok",
    )
    how = "extended the acknowledgement of" if extended else "acknowledged"
    console.print(f"{how} {group} for {for_}, by {person} (silence {silence})")


@app.command()
def unack(
    silence: Annotated[str, typer.Argument(help="the silence id `noc alerts ack` printed")],
    alertmanager: AlertmanagerOption = None,
    inventory: InventoryOption = None,
) -> None:
    """End an acknowledgement now."""
    from noc.alerts.silences import AlertmanagerError, expire_silence

    try:
        expire_silence(_base(alertmanager, inventory), silence)
    except AlertmanagerError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    console.print(f"acknowledgement {silence} ended")


@app.command()
def inbox(as_json: JsonOption = False, inventory: InventoryOption = None) -> None:
    """What the demo's stand-ins received (Telegram, WhatsApp gateway, e-mail), oldest first,
    at times in the network's zone (WIB)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from noc.lab.inbox import read_inbox
    from noc.settings import Settings

    messages = read_inbox(Settings().var_dir / "alerts")
    if as_json:
        print_json(messages)
        return
    if not messages:
        console.print("no message yet (alerts wait for their rule's `for:` and the group's wait)")
        return
    zone = ZoneInfo(inventory_or_exit(inventory).network.timezone)
    for m in messages:
        at = datetime.fromtimestamp(m["at"], zone)
        when = at.strftime("%Y-%m-%d %H:%M:%S ") + (at.tzname() or "")
        head = f"[bold]{when} {m['channel']} to {m.get('to')}[/]"
        if m.get("subject"):
            head += f" — {m['subject']}"
        console.print(head)
        console.print(str(m.get("text", "")), markup=False)
        console.print()
