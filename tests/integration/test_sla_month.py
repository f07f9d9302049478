"""A simulated month written into the store (SQLite and PostgreSQL), then reported.

The month is simulated once per run and shared by the workers; each test here is a unit of
work of its own, so the reports are made on several workers at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from noc.inventory import Topology, load_inventory
from noc.lab.month import plan_month
from noc.sla.compute import month
from noc.sla.report import build_report
from tests.conftest import INVENTORY, ROOT
from tests.shared import PG_ADMIN, drop_database, shared

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def october() -> dict[str, str]:
    """October 2026 simulated once per run, written into SQLite and into a PostgreSQL database
    of its own (`--database` twice: one fold, two stores), shared by every worker's tests."""

    def simulate(folder: Path) -> dict[str, Any]:
        sqlite = f"sqlite:///{folder / 'month.db'}"
        name = f"noc_sla_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(**PG_ADMIN, autocommit=True) as admin:  # type: ignore[arg-type]
            admin.execute(f'CREATE DATABASE "{name}"')
        postgres = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        try:
            result = noc(
                "sla",
                "simulate",
                "--month",
                "2026-10",
                "--database",
                sqlite,
                "--database",
                postgres,
            )
            assert result.returncode == 0, result.stderr
            assert "into each of 2 stores" in " ".join(result.stdout.split())
        except BaseException:
            drop_database(name)
            raise
        return {"sqlite": sqlite, "postgresql": postgres, "databases": [name]}

    return shared("october-2026", simulate)


@pytest.fixture(scope="session")
def october_sqlite(october: dict[str, str]) -> str:
    return october["sqlite"]


@pytest.fixture(scope="session")
def october_reports(october_sqlite: str) -> dict[str, str]:
    """The simulated October as the CLI reports it, made once per run for the tests that
    compare the formats: JSON and the Indonesian PDF from one read of the store, the English
    HTML and CSV from another, the two at once."""

    def reports(folder: Path) -> dict[str, Any]:
        report = ("sla", "report", "--month", "2026-10", "--database", october_sqlite)
        files = {kind: folder / f"oct.{kind}" for kind in ("json", "pdf", "html", "csv")}
        made = [
            start(*report, "--lang", "id", "--out", str(files["json"]), "--out", str(files["pdf"])),
            start(*report, "--lang", "en", "--out", str(files["html"]), "--out", str(files["csv"])),
        ]
        for proc in made:
            stdout, stderr = proc.communicate(timeout=900)
            assert proc.returncode == 0, stderr
            assert stdout.count("wrote ") == 2, stdout  # a line for each file
        texts = {kind: path.read_text() for kind, path in files.items() if kind != "pdf"}
        return {**texts, "pdf": str(files["pdf"])}

    return shared("october-2026-reports", reports)


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "noc", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def noc(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "noc", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        check=False,
        env={**os.environ, **env} if env else None,
    )


def test_simulated_october_reports_what_was_planned_sqlite(
    october_sqlite: str, october_reports: dict[str, str]
) -> None:
    assert_october(october_sqlite, october_reports["json"])


def test_simulated_october_reports_what_was_planned_postgresql(
    october: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "oct.json"
    assert (
        noc(
            "sla",
            "report",
            "--month",
            "2026-10",
            "--format",
            "json",
            "--out",
            str(out),
            "--database",
            october["postgresql"],
        ).returncode
        == 0
    )
    assert_october(october["postgresql"], out.read_text())


def assert_october(database: str, cli_json: str) -> None:
    """The report of the simulated October says what the plan put in it, and the CLI's JSON
    report of the same store (`cli_json`) has the same coverage."""
    inv = load_inventory(INVENTORY)
    period = month(2026, 10)
    plan = plan_month(inv, period)
    from noc.store.db import make_engine

    report = build_report(make_engine(database), inv, period)
    gap = plan.collector_gap
    assert gap is not None
    # every device has the collector's 3 h gap as unknown time, so coverage is exactly that
    assert report.coverage == pytest.approx(1 - (gap[1] - gap[0]) / period.seconds, abs=1e-3)
    assert report.whole.unknown_warning is False
    # the planned BTS outages are the root causes: the devices behind them are not charged
    bts_down = {o.device for o in plan.outages if o.device.startswith("bts-")}
    for name in bts_down:
        assert report.devices[name].downtime_s > 0
    downs = [i for i in report.incidents if i.state in ("down", "flapping")]
    assert {i.root_cause for i in downs} >= bts_down
    topo = Topology.of(inv)
    for outage in (o for o in plan.outages if o.device in bts_down):
        behind = set(topo.descendants(outage.device))
        during = [i for i in downs if i.entity in behind and outage.start <= i.started < outage.end]
        assert during == [], during  # UNREACHABLE behind the BTS, never an incident of their own
    # every planned outage is reported, the flapping one too (its swings are confirmed DOWN)
    for outage in plan.outages:
        if any(
            g.device != outage.device
            and outage.device in topo.descendants(g.device)
            and g.start <= outage.start < g.end
            for g in plan.outages
        ):
            continue  # inside a BTS outage: UNREACHABLE, charged to the BTS
        assert report.devices[outage.device].downtime_s > 0, outage
        assert any(
            i.entity == outage.device
            and i.started < outage.end
            and (i.ended or outage.end) > outage.start
            for i in downs
        ), outage
    uplink = report.links[report.uplink]
    assert uplink.p95_bps is not None and uplink.p95_bps > 0.9 * 40e6
    assert uplink.hours_above_80 >= 8 * len(plan.congested_days) - 0.1
    assert json.loads(cli_json)["coverage"] == pytest.approx(report.coverage)


def test_pdf_of_the_simulated_month_shows_its_figures(
    october_reports: dict[str, str], tmp_path: Path
) -> None:
    """PDF through Chromium, its pages rasterised by pdftoppm and read back by pdftotext."""
    out = Path(october_reports["pdf"])
    assert out.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.pgm"))
    assert len(pages) >= 2  # summary, charts, per-site and per-link tables
    first = pages[0].read_bytes()
    magic, _size, _maxval, pixels = first.split(b"\n", 3)  # binary PGM
    assert magic == b"P5"
    dark = sum(1 for value in pixels if value < 128)
    assert dark > 0.005 * len(pixels)  # text and charts, not a blank page
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    report = json.loads(october_reports["json"])
    whole = report["network_availability"]["availability"]
    from noc.sla.i18n import Locale

    loc = Locale("id", "Asia/Jakarta")
    assert "Laporan SLA: Jaringan" in text and "Laporan SLA Jaringan" not in text
    assert "Oktober 2026" in text
    assert loc.percent(whole) in text
    assert loc.percent(report["coverage"], 2) in text
    # The uplink, always: its p95 in Mbps, as a share of its 40 Mbps, and its hours above 80%,
    # in the sentence beside the chart and as the first row of the links table.
    uplink = report["links"][report["uplink"]]
    flat = " ".join(text.split())
    p95 = loc.mbps(uplink["p95_bps"])
    share = loc.percent(uplink["p95_bps"] / uplink["capacity_bps"], 0)
    assert f"Persentil ke-95 {p95} = {share} dari kapasitas kontrak 40,00 Mbps" in flat
    assert f"{loc.number(uplink['hours_above_80_percent'], 1)} jam di atas 80%" in flat
    assert text.count("uplink-isp") >= 2
    assert "WIB" in text and "Semua target ketersediaan tercapai" in text
    for word in ("Tautan", "tautan", "anggaran", "Waktu mati"):
        assert word not in text, word
    # Who filled the uplink in its hours above 80%: the flows, by site and application.
    busy = report["uplink_busy_users"]
    assert busy["sites"] and busy["applications"][0]["name"] == "web"
    assert "Pemakai uplink pada jam di atas 80%" in flat
    top = busy["sites"][0]
    assert top["in_octets"] > top["out_octets"] > 0
    html_page = october_reports["html"]
    assert "uplink-isp" in html_page and "Contracted capacity" in html_page


def test_csv_html_and_json_of_the_simulated_month_agree(october_reports: dict[str, str]) -> None:
    import csv
    import io

    from noc.sla.i18n import Locale

    report = json.loads(october_reports["json"])
    rows = list(csv.reader(io.StringIO(october_reports["csv"])))
    header = next(r for r in rows if r[:2] == ["kind", "name"])
    html = october_reports["html"]
    loc = Locale("en", "Asia/Jakarta")
    checked = 0
    for row in rows:
        if len(row) != len(header) or row[0] != "device":
            continue
        figures = report["devices"][row[1]]
        for column in ("availability", "downtime_s", "unknown_s", "outages"):
            value = figures[column]
            if value is None:
                assert row[header.index(column)] == ""
            else:
                assert float(row[header.index(column)]) == pytest.approx(value), (row[1], column)
        checked += 1
    assert checked == len(report["devices"])
    for name, figures in report["sites"].items():
        if figures["outages"]:
            assert loc.percent(figures["availability"]) in html, name
    assert loc.percent(report["network_availability"]["availability"]) in html


def test_the_summary_fits_80_columns_in_both_languages(october_sqlite: str) -> None:
    """Seven columns at 80: no header cut ("Ketersed…"), no duration broken over two lines."""
    for lang, words in (
        ("id", ["Ketersediaan", "Sisa toleransi*", "Tercapai", "2 jam"]),
        ("en", ["Availability", "Allowance left*", "Met"]),
    ):
        done = noc(
            "sla",
            "summary",
            "--month",
            "2026-10",
            "--lang",
            lang,
            "--database",
            october_sqlite,
            COLUMNS="80",
        )
        assert done.returncode == 0, done.stderr
        said = done.stdout
        assert "…" not in said, said
        assert all(w in said for w in words), said
        assert all(len(line) <= 80 for line in said.splitlines())
        assert not any(line.rstrip().endswith(("jam", " h")) for line in said.splitlines())


def test_every_pdf_page_keeps_its_words_whole_and_apart(
    october_sqlite: str, october_reports: dict[str, str]
) -> None:
    """The Indonesian PDF read back word by word (pdftotext -bbox): no word leaves the page's
    printable area, no two are printed over each other ("Ketersediaan" over "Target"), and no
    word is cut ("Memenuh" for "Memenuhi" at the right edge)."""
    from noc.sla.compute import month
    from noc.sla.i18n import Locale
    from noc.sla.render import to_html
    from noc.sla.report import build_report
    from noc.store.db import make_engine
    from tests.pdfboxes import cut_words, problems

    pdf = Path(october_reports["pdf"])
    assert problems(pdf) == []
    # No page but the last is left half empty (a chart pushed whole to the next page).
    from tests.pdfboxes import words

    pages, found = words(pdf)
    for number, (_, height) in enumerate(pages[:-1], 1):
        lowest = max(w.y1 for w in found if w.page == number)
        assert lowest > 0.6 * height, (number, lowest, height)
    inv = load_inventory(ROOT / "inventory.yaml")
    report = build_report(make_engine(october_sqlite), inv, month(2026, 10))
    # As it was made with the PDF (one read of the store for the JSON and the PDF).
    report.generated = json.loads(october_reports["json"])["generated"]
    assert cut_words(pdf, to_html(report, Locale("id"))) == []


def test_the_report_says_the_uplink_first_and_every_backbone_link(
    october_reports: dict[str, str],
) -> None:
    """An uplink saturated for 218 hours is the month's first line, before the targets; the
    links table has every backbone link and says how many access links it leaves out."""
    text = subprocess.run(
        ["pdftotext", "-layout", october_reports["pdf"], "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    first = text.index("Uplink internet padat")
    assert first < text.index("ketersediaan tercapai") if "tercapai" in text else True
    inv = load_inventory(ROOT / "inventory.yaml")
    flat = " ".join(text.split())
    for ln in inv.links:
        if ln.tier.value != "access":
            assert ln.name in flat, ln.name
    assert "jalur akses lain" in flat and "laporan CSV" in flat


def test_the_year_report_agrees_with_the_month_it_holds(
    october_sqlite: str, october_reports: dict[str, str], tmp_path: Path
) -> None:
    """`noc sla report --year 2026` over the simulated October: read from the daily rollups
    the simulation closed, its October uplink p95 and incident count are the month report's."""
    out = tmp_path / "year.json"
    made = noc("sla", "report", "--year", "2026", "--database", october_sqlite, "--out", str(out))
    assert made.returncode == 0, made.stdout + made.stderr
    year = json.loads(out.read_text())
    month = json.loads(october_reports["json"])
    assert year["days_from_store"] >= 31  # October's days were closed, not recomputed
    assert year["uplink_monthly_p95_bps"]["10"] == month["links"][month["uplink"]]["p95_bps"]
    started = [i for i in month["incidents"] if i["started"] >= month["period"]["start"]]
    assert year["incidents_by_month"]["10"] == len(started)
    assert year["links"]["uplink-isp"]["hours_above_80"] == pytest.approx(
        month["links"]["uplink-isp"]["hours_above_80_percent"]
    )
    html_out = tmp_path / "year.html"
    made = noc(
        "sla", "report", "--year", "2026", "--database", october_sqlite, "--out", str(html_out)
    )
    assert made.returncode == 0, made.stderr
    page = html_out.read_text()
    assert "Laporan tahunan jaringan 2026" in page and "Oktober 2026" in page
