"""The wall's document from verdicts, loads and health: pure, `now` passed in."""

from __future__ import annotations

from noc.inventory import load_inventory
from noc.polling.availability import State, Verdict
from noc.wall.view import Health, LinkLoad, Said, Speaker, build, said_about
from tests.conftest import SMALL

NOW = 1_800_000_000.0
HEALTH = Health(
    last_poll_at=NOW - 5,
    last_success_at=NOW - 5,
    polls=10,
    failures=1,
    late=0,
    store_ok=True,
    pending_events=0,
    oldest_pending_s=0.0,
    interval_s=60,
)


def test_a_bts_down_is_the_first_problem_with_its_office_counted_and_its_links_red() -> None:
    inv = load_inventory(SMALL)
    verdicts = {
        "core": Verdict(State.UP),
        "bts-b": Verdict(State.UP),
        "kel-b": Verdict(State.UP),
        "bts-a": Verdict(State.DOWN, "bts-a", "no response", NOW - 600),
        "kel-a": Verdict(State.UNREACHABLE, "bts-a", "bts-a is down", NOW - 600),
        "link:backhaul-bts-b": Verdict(State.UP),
        "link:access-kel-b": Verdict(State.FLAPPING, "link:access-kel-b", "flapping", NOW - 60),
    }
    loads = {"uplink-isp": LinkLoad(38e6, 5e6, 0.95), "backhaul-bts-b": LinkLoad(1e6, 1e6, 0.0)}
    doc = build(
        inv,
        verdicts,
        {"bts-a": NOW - 590},
        loads,
        [(NOW - 300, 30e6, 4e6)],
        ("ready", {"id": "semua pemeriksaan lulus", "en": "all checks pass"}, NOW - 30),
        HEALTH,
        {"bts-a": "budi"},
        NOW,
    )

    first, second = doc["problems"]
    assert (first["entity"], first["behind"], first["acked_by"]) == ("bts-a", 1, "budi")
    assert first["since"] == NOW - 590  # the stored change's time, not the condition's
    assert first["title"] == "BTS A"
    assert (second["entity"], second["kind"], second["state"]) == (
        "access-kel-b",
        "link",
        "flapping",
    )
    links = {ln["name"]: ln for ln in doc["links"]}
    # Either end down takes the link down; an end behind a down device is unreachable.
    assert links["backhaul-bts-a"]["state"] == "down"
    assert links["access-kel-a"]["state"] == "down"
    assert links["backhaul-bts-b"]["state"] == "up"
    sites = {s["name"]: s["state"] for s in doc["sites"]}
    assert sites["bts-a"] == "down" and sites["dc"] == "up"
    assert sites["office"] == "unreachable"  # kel-a and kel-b share it; the worst shows
    assert doc["uplink"]["utilisation"] == 0.95 and doc["uplink"]["capacity_bps"] == 40_000_000
    assert doc["uplink"]["history"] == [[NOW - 300, 30e6, 4e6]]
    assert doc["dr"] == {
        "state": "ready",
        "at": NOW - 30,
        "reason": {"id": "semua pemeriksaan lulus", "en": "all checks pass"},
    }
    assert doc["collector"]["polling"] is True and doc["collector"]["store_ok"] is True
    assert doc["counts"] == {"up": 3, "down": 1, "unreachable": 1}


def test_a_collector_that_stopped_polling_says_so_and_nothing_known_is_unknown() -> None:
    inv = load_inventory(SMALL)
    stale = Health(
        last_poll_at=NOW - 600,
        last_success_at=None,
        polls=1,
        failures=0,
        late=0,
        store_ok=False,
        pending_events=42,
        oldest_pending_s=90.4,
        interval_s=60,
    )
    doc = build(inv, {}, {}, {}, [], None, stale, {}, NOW)
    assert doc["collector"]["polling"] is False
    assert doc["collector"]["store_ok"] is False
    assert doc["collector"]["pending_events"] == 42 and doc["collector"]["store_behind_s"] == 90
    assert doc["problems"] == [] and doc["dr"] is None
    assert {s["state"] for s in doc["sites"]} == {"unknown"}
    assert doc["uplink"]["utilisation"] is None


def test_a_problem_card_shows_what_its_parent_said_of_it_and_not_of_the_others() -> None:
    """bts-a is down. Its parent, core, reaches it through ether2 and bts-b through ether3:
    bts-a's card shows core's lines about ether2 (by name or by its ifIndex) and bts-a's own,
    newest first, three at most, not core's line about ether3 nor a line from before the
    outage's quarter of an hour."""
    inv = load_inventory(SMALL)
    speakers = [
        Speaker(sp.device, sp.port, 2 if sp.port == "ether2" else None)
        for sp in said_about(inv, "bts-a")
    ]
    assert [(sp.device, sp.port) for sp in speakers] == [("bts-a", None), ("core", "ether2")]
    said = {
        "core": [
            Said(NOW - 10, "core", "interface,info: ether3 link down"),
            Said(NOW - 20, "core", "linkDown (v2c) ifIndex.2=2 ifOperStatus.2=down"),
            Said(NOW - 30, "core", "interface,info: ether2 link down"),
            Said(NOW - 40, "core", "interface,info: ether22 link down"),
            Said(NOW - 4000, "core", "interface,info: ether2 link down"),
        ],
        "bts-a": [Said(NOW - 700, "bts-a", "system,error: power supply voltage low")],
    }
    verdicts = {"bts-a": Verdict(State.DOWN, "bts-a", "no response", NOW - 600)}
    doc = build(inv, verdicts, {}, {}, [], None, HEALTH, {}, NOW, said, {"bts-a": speakers})
    card = doc["problems"][0]
    assert [(s["device"], s["text"]) for s in card["said"]] == [
        ("core", "linkDown (v2c) ifIndex.2=2 ifOperStatus.2=down"),
        ("core", "interface,info: ether2 link down"),
        ("bts-a", "system,error: power supply voltage low"),
    ]
    link = said_about(inv, "link:backhaul-bts-b")
    assert [(sp.device, sp.port) for sp in link] == [("bts-b", "eth0"), ("core", "ether3")]
