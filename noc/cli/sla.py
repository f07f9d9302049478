"""`noc sla`: monthly SLA reports for managers, a terminal summary, and a simulated month."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from noc.cli.common import InventoryOption, console, err_console, inventory_or_exit, store_engine
from noc.config.backup import ConfigStore, backup_devices
from noc.config.schedule import rules_for, violations
from noc.inventory import Inventory
from noc.paths import default_inventory
from noc.settings import Settings
from noc.sla.compute import Period, month
from noc.sla.i18n import Locale
from noc.sla.pdf import PdfError, render_pdf
from noc.sla.render import devices_in, to_csv, to_html, to_json
from noc.sla.report import Compliance, ComplianceLine, Report, build_report

app = typer.Typer(
    help="SLA reports: availability, outages, MTTR, uplink 95th percentile.", no_args_is_help=True
)

MonthOption = Annotated[str, typer.Option("--month", help="YYYY-MM, in the network's time zone")]
LangOption = Annotated[str, typer.Option("--lang", help="id or en")]
DatabaseOption = Annotated[
    str | None, typer.Option("--database", help="store URL (default: $NOC_DATABASE_URL or SQLite)")
]


def parse_month(text: str, zone: str) -> Period:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match[2]) <= 12 or not 1970 <= int(match[1]) <= 2999:
        err_console.print(f"--month must look like 2026-10, not {text!r}")
        raise typer.Exit(2)
    return month(int(match[1]), int(match[2]), zone)


def _locale(lang: str, zone: str) -> Locale:
    try:
        return Locale(lang, zone)
    except ValueError as exc:
        err_console.print(str(exc))
        raise typer.Exit(2) from None


def _load(
    month_text: str, lang: str, inventory: Path | None, database: str | None
) -> tuple[Report, Locale]:
    inv = inventory_or_exit(inventory)
    period = parse_month(month_text, inv.network.timezone)
    loc = _locale(lang, inv.network.timezone)
    return build_report(store_engine(database, read_only=True), inv, period), loc


def kept_compliance(inv: Inventory, inventory: Path) -> Compliance | None:
    """The compliance of the configurations kept now (var/config), for the report's section;
    None where nothing is backed up here (the section is left out)."""
    folder = Settings().var_dir / "config"
    if not (folder / "repo").exists():
        return None
    store = ConfigStore(folder)
    rules = rules_for(inventory)
    names = [d.name for d in backup_devices(inv)]
    found, unchecked = violations(inv, store, rules, names)
    lines = [ComplianceLine(v.device, v.rule, v.text, v.line, v.content, v.text_id) for v in found]
    checked = [n for n in names if n not in unchecked]
    return Compliance(time.time(), len(rules), checked, lines)


def check_output(out: Path, force: bool) -> None:
    """Refuse, before any work, a path the report cannot be written to or should not be."""
    if out.is_symlink():
        err_console.print(f"{out} is a symbolic link; give the real path")
        raise typer.Exit(2)
    if out.exists():
        if not out.is_file():
            err_console.print(f"{out} is not a regular file")
            raise typer.Exit(2)
        if not force:
            err_console.print(f"{out} exists; add --force to replace it")
            raise typer.Exit(2)
        if not os.access(out, os.W_OK):
            err_console.print(f"{out} cannot be written (permissions)")
            raise typer.Exit(2)
    parent = out.parent
    if not parent.is_dir():
        err_console.print(f"no such directory: {parent}")
        raise typer.Exit(2)
    if not os.access(parent, os.W_OK):
        err_console.print(f"cannot write in {parent} (permissions)")
        raise typer.Exit(2)


def write_output(out: Path, data: bytes) -> None:
    """Write through a temporary file in the same directory, then rename: never a half file."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        err_console.print(f"cannot write {out}: {exc.strerror or exc}")
        raise typer.Exit(1) from None


FORMATS = ("html", "pdf", "csv", "json")


def plan_outputs(fmt: str | None, outs: list[Path]) -> list[tuple[str, Path | None]]:
    """Each output and its format. Without --out, the report goes to stdout in --format
    (HTML by default). One --out takes --format if given, else its extension's format (HTML
    for any other name). Several --out are one read of the store for several files, each in
    its extension's format."""
    if fmt is not None and fmt not in FORMATS:
        err_console.print("--format is one of html, pdf, csv, json")
        raise typer.Exit(2)
    if not outs:
        if fmt == "pdf":
            err_console.print("--format pdf needs --out")
            raise typer.Exit(2)
        return [(fmt or "html", None)]
    told = {out: out.suffix.lower().removeprefix(".") for out in outs}
    odd = [out for out in outs if told[out] and told[out] not in FORMATS]
    if odd:  # report.docx would be HTML in a .docx file, which no word processor opens
        err_console.print(
            f"{odd[0]}: a report is .html, .pdf, .csv or .json (or a name "
            "without an extension, with --format)"
        )
        raise typer.Exit(2)
    if len(outs) == 1:
        out = outs[0]
        return [(fmt or (told[out] if told[out] in FORMATS else "html"), out)]
    if fmt is not None:
        err_console.print(
            "--format names the format of one output; with several --out, "
            "each file's extension names its format"
        )
        raise typer.Exit(2)
    unknown = [str(out) for out in outs if told[out] not in FORMATS]
    if unknown:
        err_console.print(
            f"{unknown[0]}: with several --out, each file ends in .html, .pdf, "
            ".csv or .json to name its format"
        )
        raise typer.Exit(2)
    if len({out.absolute() for out in outs}) < len(outs):
        err_console.print("the same --out is given twice")
        raise typer.Exit(2)
    return [(told[out], out) for out in outs]


def render(data: Report, loc: Locale, fmt: str) -> bytes:
    """The report in one format; a PDF that cannot be made is an error with its reason."""
    if fmt == "json":
        return to_json(data).encode("utf-8")
    if fmt == "csv":
        return to_csv(data, loc).encode("utf-8")
    page = to_html(data, loc)
    if fmt == "html":
        return page.encode("utf-8")
    try:
        return render_pdf(page)
    except PdfError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None


@app.command()
def report(
    month_text: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM, in the network's time zone")
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(help="a year's report instead (the annual review)", min=1970, max=2999),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="html, pdf, csv or json (default: the --out file's extension, else html)",
        ),
    ] = None,
    out: Annotated[
        list[Path] | None,
        typer.Option(
            help="file to write (default: stdout); repeat it for several formats "
            "from one read of the store, each named by its extension"
        ),
    ] = None,
    lang: LangOption = "id",
    inventory: InventoryOption = None,
    database: DatabaseOption = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing --out file")] = False,
) -> None:
    """The report for one calendar month (--month), or for a year (--year)."""
    outputs = plan_outputs(fmt, out or [])
    for _, path in outputs:
        if path is not None:
            check_output(path, force)
    if (month_text is None) == (year is None):
        err_console.print("give --month YYYY-MM or --year YYYY (one of them)")
        raise typer.Exit(2)
    if year is not None:
        _year_report(year, outputs, lang, inventory, database)
        return
    data, loc = _load(month_text or "", lang, inventory, database)
    data.compliance = kept_compliance(
        inventory_or_exit(inventory), inventory or default_inventory()
    )
    # Everything is made before anything is written: a PDF that fails leaves no file behind.
    _write_all([(path, render(data, loc, kind)) for kind, path in outputs])


def _write_all(made: list[tuple[Path | None, bytes]]) -> None:
    """Each output, once all are made: to its file, or to stdout."""
    for path, body in made:
        if path is None:
            typer.echo(body.decode("utf-8"), nl=False)
        else:
            write_output(path, body)
            console.print(f"wrote {path}")


def _year_report(
    year: int,
    outputs: list[tuple[str, Path | None]],
    lang: str,
    inventory: Path | None,
    database: str | None,
) -> None:
    from noc.sla.pdf import render_pdf
    from noc.sla.year import build_year, year_html, year_json

    unknown = [kind for kind, _ in outputs if kind not in ("json", "html", "pdf")]
    if unknown:
        err_console.print(f"a year's report is json, html or pdf, not {unknown[0]}")
        raise typer.Exit(2)
    inv = inventory_or_exit(inventory)
    loc = _locale(lang, inv.network.timezone)
    data = build_year(store_engine(database, read_only=True), inv, year, time.time())
    made: list[tuple[Path | None, bytes]] = []
    for kind, path in outputs:
        if kind == "json":
            made.append((path, year_json(data).encode()))
        elif kind == "html":
            made.append((path, year_html(data, loc).encode()))
        else:
            made.append((path, render_pdf(year_html(data, loc))))
    _write_all(made)


@app.command()
def summary(
    month_text: MonthOption,
    lang: LangOption = "id",
    inventory: InventoryOption = None,
    database: DatabaseOption = None,
) -> None:
    """Availability by tier and for the whole network, as a terminal table."""
    data, loc = _load(month_text, lang, inventory, database)
    period = data.period
    # Short headers, no vertical rules and a footnote: seven columns fit 80 without a
    # header cut to "Ketersed…".
    table = Table(
        title=f"{loc.t('title')} — {loc.month(period.start)} "
        f"({loc.t('coverage')} {loc.percent(data.coverage, 2)})",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=0,
        title_justify="left",
    )
    table.add_column(loc.t("tier"), min_width=8)  # "Seluruh jaringan" may take two lines
    for col in (
        "availability",
        "target",
        "outages",
        "mttr",
        "budget_left_short",
        "compliant_short",
    ):
        table.add_column(loc.t(col), no_wrap=True)
    rows = [(loc.tier(k), a, devices_in(data, a)) for k, a in sorted(data.tiers.items())]
    for name, a, count in [*rows, (loc.t("network"), data.whole, len(data.devices))]:
        table.add_row(
            name,
            loc.percent(a.availability),
            loc.percent(a.target, 1),
            str(len(a.outages)),
            loc.duration(a.mttr_s) if a.mttr_s is not None else loc.t("none_short"),
            loc.budget(
                None if a.budget_remaining_s is None else a.budget_remaining_s / max(1, count)
            ),
            loc.verdict(a.compliant),
        )
    console.print(table)
    console.print(f"* {loc.t('budget_left').lower()}, {loc.t('per_device')}")
    if data.whole.unknown_warning:
        console.print(f"[red]{loc.t('unknown_warning')}[/]")


@app.command()
def simulate(
    month_text: MonthOption,
    inventory: InventoryOption = None,
    database: Annotated[
        list[str] | None,
        typer.Option(
            "--database",
            help="store URL (default: $NOC_DATABASE_URL or SQLite); "
            "repeat it to write the same month into several stores",
        ),
    ] = None,
) -> None:
    """Fill a store with a simulated month of the lab's network (outages, flaps, congestion,
    a collector gap), as the collector would have written it."""
    from noc.flows import store as flow_store
    from noc.lab.month import busy_flows, simulate_month
    from noc.sla.daily import close_days
    from noc.store.db import sync_inventory
    from noc.store.writer import StoreWriter

    inv = inventory_or_exit(inventory)
    period = parse_month(month_text, inv.network.timezone)
    writers = []
    urls: list[str | None] = [*database] if database else [None]
    for url in urls:
        engine = store_engine(url)
        sync_inventory(engine, inv)
        writers.append(StoreWriter(engine, max_buffer=10_000_000))

    class Flushing:
        def emit(self, events: object) -> None:
            for writer in writers:
                writer.emit(events)  # type: ignore[arg-type]
                if writer.pending > 50_000 and not writer.flush():
                    raise RuntimeError(writer.stats.last_error)

    with console.status("simulating...") as status:
        plan = simulate_month(
            inv,
            period,
            Flushing(),
            progress=lambda share: status.update(f"simulating... {share:.0%}"),
        )
        status.update("writing the rest into the store" + ("s" if len(writers) > 1 else ""))
        for writer in writers:
            if not writer.flush():
                err_console.print(f"the store refused the month: {writer.stats.last_error}")
                raise typer.Exit(1)
        for flows in busy_flows(inv, plan, period):  # who filled the uplink when congested
            for writer in writers:
                flow_store.write(writer.engine, flows)
        status.update("closing the days (daily rollups)")
        for writer in writers:  # as `noc serve` does each night
            close_days(writer.engine, inv, period.end)
    console.print(
        f"simulated {loc_month(period)}: {len(plan.outages)} outages planned "
        f"({sum(o.flapping for o in plan.outages)} of them a device going down and up again "
        f"for an hour: one incident, several outages), {writers[0].stats.written:,} events "
        f"written{f' into each of {len(writers)} stores' if len(writers) > 1 else ''}"
    )


def loc_month(period: Period) -> str:
    return Locale("en").month(period.start)
