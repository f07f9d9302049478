"""Report rendering: languages, numbers, and the three text formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from noc.sla.compute import Change, Period, availability, link_usage, month
from noc.sla.i18n import Locale
from noc.sla.render import to_csv, to_html, to_json
from noc.sla.report import IncidentLine, Report

OCT = month(2026, 10)


def small_report() -> Report:
    down = [
        Change(OCT.start - 10, "up"),
        Change(OCT.start + 86400, "down"),
        Change(OCT.start + 86400 + 5400, "up"),
    ]
    dev = availability(down, [], OCT, 0.99)
    ok = availability([Change(OCT.start - 10, "up")], [], OCT, 0.995)
    usage = link_usage([], OCT, 40_000_000)
    return Report(
        network="Test",
        timezone="Asia/Jakarta",
        period=OCT,
        generated=OCT.end + 3600,
        devices={"kel-a": dev, "bts-a": ok},
        sites={"office": dev, "bts-a": ok},
        tiers={"access": dev, "backbone": ok},
        whole=dev,
        links={"uplink-isp": usage},
        uplink="uplink-isp",
        uplink_daily_p95=[(OCT.start, None)],
        incidents=[
            IncidentLine("kel-a", "down", "kel-a", OCT.start + 86400, OCT.start + 86400 + 5400, 0)
        ],
    )


def test_numbers_dates_and_durations_in_both_languages() -> None:
    id_, en = Locale("id"), Locale("en")
    assert id_.number(1234.5, 2) == "1.234,50"
    assert en.number(1234.5, 2) == "1,234.50"
    assert id_.percent(0.99876) == "99,876%"
    assert id_.date(OCT.start) == "1 Oktober 2026"
    assert en.date(OCT.start) == "1 October 2026"
    assert id_.duration(5400) == "1 jam 30 menit"
    assert en.duration(90000) == "1 day 1 h 0 min"
    assert id_.duration(3 * 86400 + 60) == "3 hari 0 jam 1 menit"
    assert "tidak terdefinisi" in id_.duration(None)
    with pytest.raises(ValueError, match="id or en"):
        Locale("fr")


def test_json_csv_and_html_carry_the_same_figures() -> None:
    report = small_report()
    data = json.loads(to_json(report))
    assert data["devices"]["kel-a"]["downtime_s"] == 5400
    assert data["devices"]["kel-a"]["outages"] == 1
    assert data["devices"]["bts-a"]["mttr_s"] is None
    rows = list(csv.reader(io.StringIO(to_csv(report, Locale("en")))))
    header = rows[1]
    kel = next(r for r in rows if r[:2] == ["device", "kel-a"])
    assert float(kel[header.index("downtime_s")]) == 5400
    page = to_html(report, Locale("id"))
    assert "Laporan SLA:" in page and "Laporan SLA Jaringan" not in page
    assert "1 Oktober 2026" in page and "31 Oktober 2026" in page
    assert "1 jam 30 menit" in page
    for word in ("tautan", "Tautan", "anggaran", "waktu mati", "Waktu mati"):
        assert word not in page, word
    assert "WIB" in page and "Kapasitas kontrak" in page
    assert "<svg" in page
    english = to_html(report, Locale("en"))
    assert "Network SLA report" in english and "Data coverage" in english


def test_period_and_generation_time_are_stated() -> None:
    page = to_html(small_report(), Locale("en"))
    assert "Period" in page and "Generated" in page and "Data coverage" in page
    assert Period(0, 10).seconds == 10


def test_each_report_output_gets_its_format() -> None:
    import typer

    from noc.cli.sla import plan_outputs

    pdf, csv_, txt = Path("oktober.pdf"), Path("Oktober.CSV"), Path("notes.txt")
    assert plan_outputs(None, []) == [("html", None)]
    assert plan_outputs("csv", []) == [("csv", None)]
    assert plan_outputs(None, [pdf]) == [("pdf", pdf)]  # the name tells it
    assert plan_outputs(None, [Path("oktober")]) == [("html", Path("oktober"))]
    assert plan_outputs("json", [pdf]) == [("json", pdf)]  # --format wins for one output
    assert plan_outputs(None, [pdf, csv_]) == [("pdf", pdf), ("csv", csv_)]
    docx = Path("laporan.docx")
    for fmt, outs in (
        ("pdf", []),
        ("xml", []),
        ("json", [pdf, csv_]),
        (None, [pdf, txt]),
        (None, [pdf, Path("./oktober.pdf")]),
        (None, [txt]),
        (None, [docx]),
        ("html", [docx]),
    ):
        with pytest.raises(typer.Exit) as refused:
            plan_outputs(fmt, outs)
        assert refused.value.exit_code == 2, (fmt, outs)


def test_csv_times_are_written_alike_zero_or_not() -> None:
    """A spreadsheet reads one column as one kind of number: 0.0 beside 122400.0, not 0."""
    rows = list(csv.reader(io.StringIO(to_csv(small_report(), Locale("en")))))
    header = next(r for r in rows if r[:2] == ["kind", "name"])
    times = [i for i, column in enumerate(header) if column.endswith("_s")]
    seen = 0
    for row in rows:
        if len(row) != len(header) or row[:2] == ["kind", "name"] or row[0] == "link":
            continue
        for i in times:
            assert row[i] == "" or "." in row[i] or "e" in row[i], (row[1], header[i], row[i])
            seen += 1
    assert seen > 0


def test_a_month_with_no_data_has_no_budget_left_to_speak_of() -> None:
    from noc.sla.compute import Availability

    empty = Availability(
        period_s=0.0,
        scheduled_s=0.0,
        maintenance_s=0.0,
        unknown_s=0.0,
        unreachable_s=0.0,
        downtime_s=0.0,
        outages=(),
        target=0.999,
    )
    assert empty.budget_remaining_s is None
    assert Locale("id").budget(empty.budget_remaining_s) == "t/a (tidak ada data)"
    assert Locale("en").budget(None) == "n/a (no data)"
    assert Locale("id").budget(3600.0) == "1 jam 0 menit"


def test_chart_labels_stay_inside_their_charts() -> None:
    """The timeline's last day ("31 Oktober") was cut at the chart's right edge."""
    import re as regex

    from noc.sla.render import _timeline, _uplink_chart, text_width

    report = small_report()
    for svg in (_timeline(report, Locale("id")), _uplink_chart(report, Locale("id"))):
        width = float(regex.search(r'<svg[^>]*width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
        label = (
            r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)" font-size="(\d+)"'
            r"[^>]*>([^<]*)</text>"
        )
        for x, anchor, size, text in regex.findall(label, svg):
            w = text_width(text, float(size))
            start = {"start": 0.0, "middle": w / 2, "end": w}[anchor]
            assert float(x) - start >= 0 and float(x) - start + w <= width + 0.5, (text, x)
