"""The alert path with its real parts: the collector on the lab, Debian's Prometheus and
Alertmanager with the configuration `noc alerts config` makes, a stand-in Telegram Bot API on
loopback (it checks the token and records each sendMessage) and an SMTP sink (aiosmtpd).

bts-05 down is one Telegram message and one e-mail naming bts-05 as the root cause and its four
kelurahan behind it, with no message of their own; back up, one resolved message; every
notification is kept in the store's history."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from ruamel.yaml import YAML

from noc.alerts.config import TEMPLATE, config_text, fill_secrets, template_text
from noc.alerts.relay import _HEADINGS
from noc.alerts.runtime import alertmanager_command
from noc.inventory import load_inventory
from noc.inventory.topology import Topology
from tests.conftest import QUIET_SHARE, Lab
from tests.integration.test_prometheus import (
    EXPORTERS,
    FOR_S,
    BackgroundCollector,
    Prometheus,
    wait_for,
)
from tests.ports import free_port
from tests.subset import subset_inventory


@pytest.fixture(scope="module", autouse=True)
def quiet_uplink(lab: Lab) -> Iterator[None]:
    """No office-hours congestion unless a test makes it: the alerts counted are the test's."""
    with lab.quiet_uplink():
        yield


pytestmark = pytest.mark.integration

BTS = "bts-05"
TOKEN = "tg-Xk29Lq7w"
GATEWAY_TOKEN = "wa-Hq61Zt4p"
HOOK_SECRET = "hook-Pq83Ns1d"
# Alertmanager's timings for the test, in seconds (the NOC's are minutes): a message is sent
# GROUP_WAIT_S after its group's first alert, updates at most every GROUP_S, repeats after REPEAT_S.
GROUP_WAIT_S, GROUP_S, REPEAT_S = 2, 4, 12
COLLECTOR_STALE = _HEADINGS["NocCollectorStale"]
POLL_S = 2


class TelegramStandIn:
    """The Bot API's sendMessage, on loopback: checks the token, records the messages."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.bad_tokens = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                found = re.fullmatch(r"/bot([^/]+)/sendMessage", self.path)
                if found is None or found[1] != TOKEN:
                    outer.bad_tokens += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                outer.messages.append({**json.loads(body or b"{}"), "at": time.time()})
                reply = json.dumps(
                    {
                        "ok": True,
                        "result": {
                            "message_id": len(outer.messages),
                            "date": int(time.time()),
                            "chat": {"id": -1001234567890, "type": "supergroup"},
                        },
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class GatewayStandIn:
    """A WhatsApp gateway's send API on loopback: checks the token, records the messages."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.bad_tokens = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Authorization") != f"Bearer {GATEWAY_TOKEN}":
                    outer.bad_tokens += 1
                    self.send_response(401)
                else:
                    outer.messages.append({**json.loads(body), "at": time.time()})
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Sink:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def text_of(mail: Message) -> str:
    parts = mail.walk() if mail.is_multipart() else [mail]
    return "".join(
        p.get_payload(decode=True).decode("utf-8", "replace")  # type: ignore[union-attr]
        for p in parts
        if p.get_content_maintype() == "text"
    )


class Alertmanager:
    def __init__(self, work: Path, inventory: Path, port: int) -> None:
        inv = load_inventory(inventory)
        yaml = YAML(typ="safe")
        config = fill_secrets(
            yaml.load(config_text(inv)),
            inv,
            {"NOC_TELEGRAM_BOT_TOKEN": TOKEN, "NOC_ALERT_WEBHOOK_SECRET": "hook-Pq83Ns1d"},
        )
        # Seconds instead of the NOC's minutes, so the test does not wait them out.
        config["route"].update(
            group_wait=f"{GROUP_WAIT_S}s",
            group_interval=f"{GROUP_S}s",
            repeat_interval=f"{REPEAT_S}s",
        )
        folder = work / "alertmanager"
        folder.mkdir()
        self.config = folder / "alertmanager.yml"
        with self.config.open("w") as out:
            yaml.dump(config, out)
        (folder / TEMPLATE).write_text(template_text(inv))
        self.port = port
        self.log = (work / "alertmanager.log").open("wb")
        self.proc = subprocess.Popen(
            alertmanager_command(self.config, f"127.0.0.1:{self.port}"),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def path(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("alerts")
    inv = load_inventory(lab.inventory)
    behind = set(Topology.of(inv).descendants(BTS))
    keep = {"core-1", "core-2", BTS, *behind, "srv-web-1"}
    inventory = subset_inventory(
        lab.inventory,
        work / "inventory.yaml",
        keep,
        poll_interval_s=POLL_S,
        down_after=1,
        up_after=1,
        timeout_s=1.0,
        retries=0,
    )
    telegram = TelegramStandIn()
    gateway = GatewayStandIn()
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    yaml = YAML(typ="safe")
    doc = yaml.load(inventory.read_text())
    collector_port = free_port(count=2)
    alertmanager_port = collector_port + 1
    doc["alerting"]["noc_url"] = f"http://127.0.0.1:{collector_port}"
    doc["alerting"]["alertmanager_url"] = f"http://127.0.0.1:{alertmanager_port}"
    for receiver in doc["alerting"]["receivers"]:
        receiver["office_hours_only"] = False  # the test runs at any hour
        receiver.pop("tiers", None)
        if "telegram" in receiver:
            receiver["telegram"]["api_url"] = f"http://127.0.0.1:{telegram.port}"
        if "email" in receiver:
            receiver["email"]["smarthost"] = f"127.0.0.1:{smtp.port}"
        if "gateway" in receiver:
            receiver["gateway"]["gateway_url"] = f"http://127.0.0.1:{gateway.port}/send"
    with inventory.open("w") as out:
        yaml.dump(doc, out)
    import os

    os.environ["NOC_ALERT_WEBHOOK_SECRET"] = HOOK_SECRET
    os.environ["NOC_WA_GATEWAY_TOKEN"] = GATEWAY_TOKEN
    trap_port = free_port(kind=socket.SOCK_DGRAM)
    syslog_port = free_port(kind=socket.SOCK_DGRAM)
    collector = BackgroundCollector(
        inventory,
        work,
        port=collector_port,
        events_host="127.0.0.1",
        trap_port=trap_port,
        syslog_port=syslog_port,
    )
    alertmanager = Alertmanager(work, inventory, alertmanager_port)
    prometheus = Prometheus(work, collector.port, alertmanager=f"127.0.0.1:{alertmanager.port}")
    wait_for(lambda: bool(prometheus.query('noc_device_state{state="up"} == 1')), 90, "scrapes")
    yield {
        "telegram": telegram,
        "sink": sink,
        "collector": collector,
        "behind": behind,
        "gateway": gateway,
        "inventory": inventory,
        "prometheus": prometheus,
        "alertmanager": alertmanager,
        "work": work,
        "trap_port": trap_port,
        "syslog_port": syslog_port,
    }
    prometheus.close()
    alertmanager.close()
    collector.close()
    smtp.stop()
    telegram.close()
    os.environ.pop("NOC_ALERT_WEBHOOK_SECRET", None)
    os.environ.pop("NOC_WA_GATEWAY_TOKEN", None)


@pytest.mark.parametrize("told", ["by the poll", "by a trap and a syslog line"])
def test_a_bts_down_is_one_message_naming_what_is_behind_it(
    path: dict[str, Any], lab: Lab, told: str
) -> None:
    """Whether the polls find the BTS down or core-1 says so first (a linkDown from net-snmp's
    snmptrap and a `link down` line from util-linux's logger, both at once), the NOC gets one
    message: the state reached through a hint is the same fold's, with the same labels."""
    telegram: TelegramStandIn = path["telegram"]
    sink: Sink = path["sink"]
    kelurahan = sorted(d for d in path["behind"] if not d.startswith("link:"))
    sent, mailed = len(telegram.messages), len(sink.messages)  # this test's come after

    def outage() -> list[dict[str, Any]]:
        """The messages of this outage: not the collector's own health, whose alert a busy
        machine can raise (and clear) while the collector starts, a group of its own."""
        return [m for m in telegram.messages[sent:] if COLLECTOR_STALE not in m["text"]]

    def mails() -> list[Message]:
        return [m for m in sink.messages[mailed:] if COLLECTOR_STALE not in text_of(m)]

    lab.scenario(BTS, "down")
    if told != "by the poll":
        core = str(load_inventory(path["inventory"]).device("core-1").address)
        port = f"vlan-{BTS}"
        target = f"127.0.0.1:{path['trap_port']}"
        link_down, if_name = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.31.1.1.1.1.99"
        trap = ["snmptrap", "-v2c", "-c", "public", f"--clientaddr={core}", target, ""]
        subprocess.run([*trap, link_down, if_name, "s", port], check=True, timeout=20)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # logger cannot set it
            s.bind((core, 0))
            line = f"<30>{time.strftime('%b %d %H:%M:%S')} core-1 interface,info {port} link down"
            s.sendto(line.encode(), ("127.0.0.1", path["syslog_port"]))
    try:
        wait_for(lambda: len(outage()) >= 1, 120, "the Telegram message")
        if told != "by the poll":  # both were heard, understood and matched to core-1
            from noc.events.log import read
            from noc.store.db import make_engine as store

            logged = store(path["collector"].settings.db_url())

            def heard() -> set[str]:
                return {e.kind for e in read(logged, ["core-1"]) if e.meaning == "link_down"}

            wait_for(lambda: heard() == {"trap", "syslog"}, 10, "the trap and the line logged")
        wait_for(lambda: len(mails()) >= 1, 60, "the e-mail")
        # Two more group intervals from the first message: nothing else may arrive. (What
        # comes after REPEAT_S, if the e-mail was slow, is the outage repeated, as it should.)
        window_end = outage()[0]["at"] + 2 * GROUP_S + 2
        time.sleep(max(0.0, window_end - time.time()))
        within = [m for m in outage() if m["at"] <= window_end]
        assert len(within) == 1, [(m["at"] - window_end, m["text"]) for m in outage()]
        assert len(mails()) == 1
        text = outage()[0]["text"]
        print("\n--- telegram ---\n" + text)
        assert outage()[0]["parse_mode"] == "HTML"
        assert "GANGGUAN" in text and f"Akar masalah: <b>{BTS}</b>" in text
        assert f"{len(kelurahan)} perangkat di belakangnya" in text
        for kel in kelurahan:
            assert kel in text, kel
        assert f"noc diag check {BTS}" in text and "WIB" in text
        assert text.rstrip().endswith("/wall")  # the wall screen, one tap away
        assert len(text) <= 4096
        mail = text_of(mails()[0])
        assert BTS in mail and all(kel in mail for kel in kelurahan)
        assert BTS in str(mails()[0]["Subject"])
    finally:
        lab.scenario(BTS, "down", on=False)

    def resolved() -> list[str]:
        return [m["text"] for m in outage() if "PULIH" in m["text"]]

    wait_for(lambda: bool(resolved()), 120, "the resolved message")
    time.sleep(2 * GROUP_S + 2)
    # One resolved message, and it is the last. The kelurahan and their BTS recover in the
    # same poll, but Prometheus may see them a scrape apart; an update of the same group can
    # then come between (still bts-05, nothing new), never a message of its own.
    assert len(resolved()) == 1 and BTS in resolved()[0]
    # How long it lasted, from when to when (WIB).
    assert re.search(
        r"Lama gangguan: (\d+ jam )?\d+ menit \(\d\d:\d\d–\d\d:\d\d WIB\)", resolved()[0]
    ), resolved()[0]
    assert "PULIH" in outage()[-1]["text"]
    between = [m["text"] for m in outage()[1:-1]]
    assert len(between) <= 1, between
    assert all(f"Akar masalah: <b>{BTS}</b>" in text for text in between), between
    assert telegram.bad_tokens == 0
    # Every notification is in the store's history, through the webhook.
    import urllib.request

    collector: BackgroundCollector = path["collector"]
    from noc.store.db import make_engine
    from noc.store.tokens import Role, create_token

    engine = make_engine(collector.settings.db_url())
    _, token = create_token(engine, f"test-{sent}", Role.VIEWER)
    request = urllib.request.Request(
        f"http://127.0.0.1:{collector.port}/api/v1/alerts/history",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        stored = json.loads(response.read())
    mine = [n for n in stored if n["group"] == BTS and n["receiver"] == "noc-history"]
    assert {n["status"] for n in mine} == {"firing", "resolved"}
    assert any(a["labels"].get("device") in kelurahan for n in mine for a in n["alerts"])
    # Managers see in the month's report how many alerts each site raised.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from noc.sla.compute import Period, month
    from noc.sla.i18n import Locale
    from noc.sla.render import to_html
    from noc.sla.report import build_report

    # The months the notifications fell in, in WIB (two, for a run across a month's end).
    wib = ZoneInfo("Asia/Jakarta")
    first, last = (datetime.fromtimestamp(f(n["received"] for n in mine), wib) for f in (min, max))
    period = Period(month(first.year, first.month).start, month(last.year, last.month).end)
    report = build_report(engine, load_inventory(path["inventory"]), period)
    assert report.alerts_by_site.get(BTS, 0) >= 1
    assert all(report.alerts_by_site.get(kel, 0) >= 1 for kel in kelurahan)
    assert "Pemberitahuan gangguan per lokasi" in to_html(report, Locale("id"))
    # The secrets are in no file the toolkit made, nor in its logs.
    for file in [EXPORTERS / "alertmanager" / "alertmanager.yml", *path["work"].glob("*.log")]:
        assert TOKEN not in file.read_text(errors="replace"), file


class TagBalance:
    """Telegram's HTML: only a few tags, every one closed, in order."""

    ALLOWED = frozenset({"b", "i", "u", "s", "code", "pre", "a"})

    def __init__(self, text: str) -> None:
        from html.parser import HTMLParser

        self.stack: list[str] = []
        self.errors: list[str] = []
        outer = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag: str, attrs: Any) -> None:
                if tag not in TagBalance.ALLOWED:
                    outer.errors.append(f"tag {tag}")
                outer.stack.append(tag)

            def handle_endtag(self, tag: str) -> None:
                if not outer.stack or outer.stack.pop() != tag:
                    outer.errors.append(f"unbalanced {tag}")

        parser = Parser()
        parser.feed(text)
        parser.close()
        if self.stack:
            self.errors.append(f"unclosed {self.stack}")


def post_alerts(alertmanager: Alertmanager, alerts: list[dict[str, Any]]) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{alertmanager.port}/api/v2/alerts",
        method="POST",
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        assert response.status == 200


def test_a_group_of_300_devices_is_one_message_under_telegrams_limit(
    path: dict[str, Any],
) -> None:
    telegram: TelegramStandIn = path["telegram"]
    before = len(telegram.messages)
    root = {
        "labels": {
            "alertname": "NocBtsDown",
            "device": "bts-99",
            "root_cause": "bts-99",
            "group": "bts-99",
            "severity": "critical",
            "kecamatan": "Bogor <Barat>",
        },
        "annotations": {
            "behind": "300",
            "site_title": "BTS 99 & Menara <A>",
            "summary": "BTS bts-99 is down",
        },
    }
    behind = [
        {
            "labels": {
                "alertname": "NocBehindRootCause",
                "device": f"kel-{n:03d}",
                "root_cause": "bts-99",
                "group": "bts-99",
                "severity": "info",
            },
            "annotations": {"site_title": f"Kantor Kelurahan <Nomor> {n} & Sekitarnya"},
        }
        for n in range(300)
    ]
    post_alerts(path["alertmanager"], [root, *behind])
    wait_for(
        lambda: any("bts-99" in m["text"] for m in telegram.messages[before:]),
        60,
        "the message of the big group",
    )
    time.sleep(2 * GROUP_S + 2)
    mine = [m["text"] for m in telegram.messages[before:] if "bts-99" in m["text"]]
    assert len(mine) == 1
    text = mine[0]
    assert len(text) <= 4096, len(text)
    assert TagBalance(text).errors == []
    assert "300 perangkat" in text and "&lt;Nomor&gt;" in text and "…" in text
    assert text.count("• kel-") <= 40


def test_an_acknowledged_group_is_not_repeated_until_the_ack_ends(
    path: dict[str, Any], tmp_path: Path
) -> None:
    import sys

    from tests.conftest import ROOT

    telegram: TelegramStandIn = path["telegram"]
    alertmanager: Alertmanager = path["alertmanager"]
    base = f"http://127.0.0.1:{alertmanager.port}"
    alert = {
        "labels": {
            "alertname": "NocDeviceDown",
            "device": "kel-ack",
            "group": "ack-test",
            "root_cause": "kel-ack",
            "severity": "warning",
        },
        "annotations": {"summary": "kel-ack is down", "behind": "0"},
    }
    env = {
        **__import__("os").environ,
        "NOC_VAR_DIR": str(tmp_path),
        "NOC_DATABASE_URL": path["collector"].settings.db_url(),
        "COLUMNS": "200",
    }

    def noc(*args: str) -> str:
        command = [sys.executable, "-m", "noc", *args, "--alertmanager", base]
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def about_it() -> list[str]:
        return [m["text"] for m in telegram.messages if "kel-ack" in m["text"]]

    post_alerts(alertmanager, [alert])
    wait_for(lambda: len(about_it()) == 1, 60, "the first message")
    said = noc(
        "alerts", "ack", "ack-test", "--for", "1h", "--comment", "crew on the tower", "--by", "Budi"
    )
    silence = said.split("(silence ")[1].rstrip(")\n")
    listed = json.loads(noc("alerts", "list", "--json"))
    mine = [a for a in listed if a["group"] == "ack-test"]
    assert mine and mine[0]["state"] == "acknowledged"
    assert mine[0]["comment"] == "crew on the tower" and mine[0]["by"] == "Budi"
    # A second acknowledgement extends and annotates the first: still one silence.
    again = noc(
        "alerts",
        "ack",
        "ack-test",
        "--for",
        "2h",
        "--comment",
        "spare radio on its way",
        "--by",
        "Sari",
    )
    assert "extended" in again, again
    silence = again.split("(silence ")[1].rstrip(")\n")
    from noc.alerts.silences import silences

    acks = [
        s
        for s in silences(base)
        if "ack-test" in json.dumps(s["matchers"]) and s["status"]["state"] == "active"
    ]
    assert len(acks) == 1, acks
    assert acks[0]["comment"].endswith("/ Sari: spare radio on its way")
    for _ in range(6):  # past the repeat interval and one group interval, the alert kept alive
        post_alerts(alertmanager, [alert])
        time.sleep((REPEAT_S + GROUP_S + 2) / 6)
    assert len(about_it()) == 1, "repeated while acknowledged"
    noc("alerts", "unack", silence)
    for _ in range(16):
        post_alerts(alertmanager, [alert])
        if len(about_it()) > 1:
            break
        time.sleep(GROUP_S / 2)
    assert len(about_it()) == 2, "not repeated after the acknowledgement ended"
    from noc.store.audit import AuditLog
    from noc.store.db import make_engine

    audit = AuditLog(make_engine(path["collector"].settings.db_url()), tmp_path / "p.jsonl")
    acks = [e for e in audit.entries(50) if e["action"] == "ack"]
    assert acks and acks[0]["arguments"]["group"] == "ack-test"
    assert acks[0]["actor"].startswith("cli:")


def test_the_gateway_relay_holds_its_rate_limit_and_loses_nothing(path: dict[str, Any]) -> None:
    import urllib.request

    gateway: GatewayStandIn = path["gateway"]
    collector: BackgroundCollector = path["collector"]
    before = len(gateway.messages)
    groups = [f"burst-{n:03d}" for n in range(100)]
    started = time.time()
    for group in groups:  # a burst of 100 notifications, as Alertmanager would post them
        payload = {
            "status": "firing",
            "groupLabels": {"group": group},
            "receiver": "whatsapp-noc",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "NocDeviceDown", "device": group},
                    "annotations": {"summary": f"{group} is down"},
                }
            ],
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{collector.port}/api/v1/alerts/relay/whatsapp-noc",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {HOOK_SECRET}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            assert response.status == 202
    wait_for(
        lambda: any("digabung" in m["text"] for m in gateway.messages[before:]), 30, "the summary"
    )
    mine = gateway.messages[before:]
    within_a_minute = [m for m in mine if m["at"] - started < 60]
    assert len(within_a_minute) <= 20
    assert gateway.bad_tokens == 0
    delivered = {g for g in groups if any(f"GANGGUAN: {g}\n" in m["text"] for m in mine)}
    summary = next(m["text"] for m in mine if "digabung" in m["text"])
    folded = {g for g in groups if f"- GANGGUAN {g}" in summary}
    assert delivered | folded == set(groups) and not delivered & folded
    assert all(m["chat"] == "noc-kota-bogor" for m in mine)


def test_uplink_congestion_says_the_utilisation_against_the_contract(
    path: dict[str, Any], lab: Lab
) -> None:
    telegram: TelegramStandIn = path["telegram"]
    before = len(telegram.messages)
    lab.scenario("core-1", "congestion", param="0.97")
    try:
        wait_for(
            lambda: any("padat" in m["text"] for m in telegram.messages[before:]),
            120,
            "the congestion message",
        )
    finally:
        lab.scenario("core-1", "congestion", param=QUIET_SHARE)
    text = next(m["text"] for m in telegram.messages[before:] if "padat" in m["text"])
    assert "Uplink uplink-isp padat" in text
    assert re.search(r"Pemakaian 9\d(\.\d+)?% dari kapasitas kontrak 40 Mbps", text), text


def test_no_message_during_a_maintenance_window(
    path: dict[str, Any], lab: Lab, tmp_path: Path
) -> None:
    import os
    import sys

    from tests.conftest import ROOT

    telegram: TelegramStandIn = path["telegram"]
    collector: BackgroundCollector = path["collector"]
    env = {
        **os.environ,
        "NOC_VAR_DIR": str(tmp_path),
        "COLUMNS": "200",
        "NOC_DATABASE_URL": collector.settings.db_url(),
    }

    def noc(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "noc", *args, "--inventory", str(path["inventory"])],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    end = (now + timedelta(minutes=10)).isoformat()
    added = noc(
        "maintenance",
        "add",
        "--name",
        "ganti radio",
        "--site",
        BTS,
        "--start",
        now.isoformat(),
        "--end",
        end,
    )
    assert "1 silence(s)" in added
    window = added.split("added ")[1].split()[0]
    time.sleep(2 * POLL_S + 1)  # the collector takes the window from the store every poll
    before = len(telegram.messages)
    lab.scenario(BTS, "down")
    try:
        # A DOWN would have fired and been sent by now: a poll, a scrape and an evaluation
        # (2 s each) and the group's wait, as much again for a machine under load, and the
        # rule's `for:`.
        time.sleep(2 * (POLL_S + 2 + 2 + GROUP_WAIT_S) + FOR_S)
        assert [m["text"] for m in telegram.messages[before:] if BTS in m["text"]] == []
        state = path["prometheus"].query(f'noc_device_state{{device="{BTS}", state="maintenance"}}')
        assert state and state[0]["value"][1] == "1"
    finally:
        lab.scenario(BTS, "down", on=False)
        removed = subprocess.run(
            [
                sys.executable,
                "-m",
                "noc",
                "maintenance",
                "remove",
                window,
                "--inventory",
                str(path["inventory"]),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert "1 silence(s) expired" in removed.stdout, removed.stdout + removed.stderr
