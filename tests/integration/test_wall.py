"""The wall screen in a real browser: Debian's Chromium, headless, driven by Playwright, against
the collector on the lab (the whole Bogor inventory, polled every 5 s) with its store on
PostgreSQL behind a proxy the test can cut.

Every request the page makes is recorded; anything not for 127.0.0.1 is refused and fails the
test. Screenshots go to var/screenshots/ for people to look at."""

from __future__ import annotations

import json
import re
import shutil
import socket
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from noc.inventory import load_inventory
from noc.inventory.topology import Topology
from noc.store.db import make_engine
from noc.store.tokens import Role, create_token
from tests.conftest import ROOT, Database, Lab, pg_database
from tests.flowsend import export_flows
from tests.integration.test_prometheus import BackgroundCollector, wait_for
from tests.ports import free_port
from tests.subset import subset_inventory

pytestmark = pytest.mark.integration
playwright = pytest.importorskip("playwright.sync_api")

BTS = "bts-05"
QUIET_BTS = "bts-15"  # changes state in one test only
SHOTS = ROOT / "var" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Wall:
    def __init__(self, collector: BackgroundCollector, token: str, db: Database) -> None:
        self.collector, self.token, self.db = collector, token, db
        self.url = f"http://127.0.0.1:{collector.port}"
        self.requests: list[str] = []
        self.refused: list[str] = []


@pytest.fixture(scope="module")
def pg_store() -> Iterator[Database]:
    with pg_database("noc_wall") as db:
        yield db


@pytest.fixture(scope="module")
def wall(lab: Lab, pg_store: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    work = tmp_path_factory.mktemp("wall")
    everything = {d.name for d in load_inventory(lab.inventory).devices}
    inventory = subset_inventory(
        lab.inventory,
        work / "inventory.yaml",
        everything,
        poll_interval_s=5,
        down_after=1,
        up_after=1,
        timeout_s=2.0,
        retries=0,
    )
    collector = BackgroundCollector(
        inventory,
        work,
        database_url=pg_store.url,
        events_host="127.0.0.1",
        flow_port=free_port(kind=socket.SOCK_DGRAM),
    )
    engine = make_engine(pg_store.url)

    def store_ready() -> bool:
        try:
            create_token(engine, "probe", Role.VIEWER)
        except Exception:
            return False
        return True

    wait_for(store_ready, 60, "the store's tables")
    _, token = create_token(engine, "wall", Role.VIEWER)
    engine.dispose()
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield Wall(collector, token, pg_store)
    collector.close()


@pytest.fixture(scope="module")
def browser(wall: Wall) -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def loopback_only(context: Any, wall: Wall, view: str = "map") -> None:
    """Refuse and record every request that would leave 127.0.0.1; the screen shows `view`
    (the geographic map for these tests, unless they ask for the schematic)."""
    context.add_init_script(f"localStorage.setItem('noc-wall-view', '{view}')")

    def route(r: Any) -> None:
        url = r.request.url
        wall.requests.append(url)
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            wall.refused.append(url)
            r.abort()

    context.route("**/*", route)


def signed_in(browser: Any, wall: Wall, lang: str = "") -> tuple[Any, Any]:
    """A 1920x1080 browser context limited to loopback, signed in at /wall with the token."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    loopback_only(context, wall)
    page = context.new_page()
    page.goto(wall.url + "/wall" + (f"?lang={lang}" if lang else ""))
    page.fill("#token", wall.token)
    page.click("button[type=submit]")
    page.wait_for_url(wall.url + "/wall")
    return context, page


@pytest.fixture
def page(browser: Any, wall: Wall) -> Iterator[Any]:
    context, page = signed_in(browser, wall)
    yield page
    context.close()


def until(page: Any, expression: str, timeout: float) -> None:
    """Wait for a JavaScript expression to hold. (Playwright's wait_for_function evaluates
    a string inside the page, which the wall's Content-Security-Policy rightly forbids.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {expression}")
        time.sleep(0.25)


def up_and_polled(page: Any) -> None:
    until(
        page,
        "document.querySelectorAll('#map [data-site]').length > 100 && "
        "document.querySelectorAll('#map [data-state=\"unknown\"]').length === 0",
        60,
    )


def test_the_wall_loads_from_loopback_alone_and_keeps_the_token_out_of_the_url(
    page: Any, wall: Wall
) -> None:
    up_and_polled(page)
    inv = load_inventory(wall.collector.settings.var_dir / "inventory.yaml")
    assert page.locator("#map [data-site]").count() == len(inv.sites)
    assert page.locator("#map [data-kind=bts]").count() == 18
    assert page.locator("#map line[data-link]").count() >= len(inv.links) - 5
    assert wall.token not in page.url
    cookie = next(c for c in page.context.cookies() if c["name"] == "noc_wall")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # Bahasa Indonesia by default, in WIB.
    assert page.inner_text("#problems-title").lower() == "gangguan"
    assert page.inner_text("#clock").endswith("WIB")
    assert "penyimpanan normal" in page.inner_text("#collector")
    page.screenshot(path=str(SHOTS / "wall-normal.png"))
    assert wall.refused == []
    assert wall.requests and all(urlsplit(u).hostname == "127.0.0.1" for u in wall.requests)


def test_a_wrong_token_gets_the_form_again_and_no_events(browser: Any, wall: Wall) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(wall.url + "/wall?lang=en")
    page.fill("#token", "noc_not-a-token")
    page.click("button[type=submit]")
    assert "Unknown, revoked or expired token." in page.inner_text(".error")
    status = page.evaluate("fetch('/wall/events').then(r => r.status)")
    assert status == 401
    context.close()


def test_bts_down_turns_red_and_tops_the_problems_without_a_reload(
    page: Any, wall: Wall, lab: Lab
) -> None:
    up_and_polled(page)
    page.evaluate("window.__sameDocument = true")
    inv = load_inventory(wall.collector.settings.var_dir / "inventory.yaml")
    behind = [d for d in Topology.of(inv).descendants(BTS) if not d.startswith("link:")]
    bts_links = [ln.name for ln in inv.links if BTS in (ln.a.device, ln.b.device if ln.b else None)]
    lab.scenario(BTS, "down")
    try:
        started = time.monotonic()
        until(
            page,
            f"""() => {{
                const first = document.querySelector('#problems li');
                return document.querySelector('#map [data-site="{BTS}"]').dataset.state === 'down'
                    && first && first.dataset.entity === '{BTS}'
                    && first.dataset.behind === '{len(behind)}';
            }}""",
            60,  # a bound, not a speed: the time is printed
        )
        took = time.monotonic() - started
        assert page.evaluate("window.__sameDocument") is True  # no reload
        for name in bts_links:
            line = page.locator(f'#map line[data-link="{name}"]')
            assert line.get_attribute("data-state") in ("down", "unreachable"), name
            assert line.get_attribute("stroke") == "#f85149", name
        marker = page.locator(f'#map [data-site="{BTS}"]')
        assert marker.get_attribute("fill") == "#f85149"
        first = page.locator("#problems li").first
        assert f"{len(behind)} perangkat di belakangnya" in first.inner_text()
        assert "mati" in first.inner_text()
        assert page.locator("#summary").get_attribute("data-problems") != "0"
        page.screenshot(path=str(SHOTS / "wall-bts-down.png"))
        print(f"\nbts-05 red on the wall {took:.1f}s after it stopped answering (poll: 5 s)")
    finally:
        lab.scenario(BTS, "down", on=False)
    until(page, f"document.querySelector('#map [data-site=\"{BTS}\"]').dataset.state === 'up'", 60)
    assert wall.refused == []


def test_uplink_congestion_shows_the_gauge_above_90_percent(
    page: Any, wall: Wall, lab: Lab
) -> None:
    up_and_polled(page)
    lab.scenario("core-1", "congestion", param="0.96")
    try:
        until(page, "Number(document.querySelector('#uplink-pct').dataset.utilisation) > 0.9", 60)
        text = page.inner_text("#uplink-pct")
        assert int(text.rstrip("%")) > 90
        assert "kapasitas kontrak 40 Mbps" in page.inner_text("#uplink-rate")
        assert "uplink padat" in page.inner_text("#summary")
        assert page.locator("#chart polyline").count() >= 1
        # core-1's flows name who fills it: the "Pemakai terbesar" tile, biggest first.
        sites = {"skpd-kominfo": 12e6, "kel-sempur": 6e6, "skpd-bappeda": 3e6}
        export_flows(wall.collector.inv, "core-1", wall.collector.settings.flow_port, sites)
        until(page, "document.querySelectorAll('#talkers .talker').length === 3", 30)
        rows = page.locator("#talkers .talker").all_inner_texts()
        assert "Dinas Komunikasi dan Informatika" in rows[0], rows
        assert "Pemakai terbesar" in page.inner_text("#talkers h3")
        page.screenshot(path=str(SHOTS / "wall-uplink-congested.png"))
    finally:
        lab.scenario("core-1", "congestion", on=False)


def test_the_wall_says_plainly_when_the_collector_loses_its_store(page: Any, wall: Wall) -> None:
    up_and_polled(page)
    wall.db.down()
    try:
        page.wait_for_selector("#banner.show", timeout=30_000)
        banner = page.inner_text("#banner")
        assert "penyimpanan tidak menjawab" in banner and "tidak ada yang hilang" in banner
        # Still live: the clock of the last poll keeps moving while the store is away.
        version = page.evaluate("document.body.dataset.version")
        until(page, f"document.body.dataset.version !== '{version}'", 15)
        page.screenshot(path=str(SHOTS / "wall-store-down.png"))
    finally:
        wall.db.up()
    until(page, "!document.querySelector('#banner').classList.contains('show')", 60)


def test_english_on_request(browser: Any, wall: Wall) -> None:
    context, page = signed_in(browser, wall, "en")
    up_and_polled(page)
    assert page.inner_text("#problems-title").lower() == "problems"
    assert "store OK" in page.inner_text("#collector")
    context.close()


def test_docs_render_the_route_list_offline(browser: Any, wall: Wall) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    loopback_only(context, wall)
    page = context.new_page()
    page.goto(wall.url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() >= 25
    assert "/api/v1/status" in page.inner_text("body")
    page.screenshot(path=str(SHOTS / "docs.png"))
    assert wall.refused == []
    context.close()
    # Every route says what it does and which role it needs.
    with urllib.request.urlopen(wall.url + "/openapi.json", timeout=10) as response:  # noqa: S310
        spec = json.loads(response.read())
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            text = op.get("description", "")
            assert "Role:" in text, (method, path)


def _viewer(wall: Wall, name: str, expires_in_s: float | None = None) -> tuple[str, str]:
    engine = make_engine(wall.db.url)
    try:
        return create_token(engine, name, Role.VIEWER, expires_in_s)
    finally:
        engine.dispose()


def _signed_in_with(browser: Any, wall: Wall, token: str) -> tuple[Any, Any]:
    context = browser.new_context()
    loopback_only(context, wall)
    page = context.new_page()
    page.goto(wall.url + "/wall?lang=en")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(wall.url + "/wall")
    until(page, "document.querySelectorAll('#map [data-site]').length > 100", 30)
    return context, page


def test_a_token_revoked_elsewhere_closes_the_open_wall_within_seconds(
    browser: Any, wall: Wall
) -> None:
    """`noc token revoke` in another process: the open stream ends and the page shows its
    sign-in form, well inside the 30 s re-check."""
    import os
    import subprocess
    import sys

    token_id, token = _viewer(wall, "revoked-screen")
    context, page = _signed_in_with(browser, wall, token)
    try:
        revoked = subprocess.run(
            [sys.executable, "-m", "noc", "token", "revoke", token_id],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "NOC_DATABASE_URL": wall.db.url},
        )
        assert revoked.returncode == 0, revoked.stderr
        at = time.monotonic()
        page.wait_for_selector("#token", timeout=15_000)
        took = time.monotonic() - at
        assert took < 15, took
        page.wait_for_load_state()
        status = page.evaluate("fetch('/wall/events').then(r => r.status)")
        assert status == 401
    finally:
        context.close()


def test_an_expiring_token_closes_the_open_wall_when_it_expires(browser: Any, wall: Wall) -> None:
    _, token = _viewer(wall, "short-screen", expires_in_s=12)
    context, page = _signed_in_with(browser, wall, token)
    try:
        page.wait_for_selector("#token", timeout=25_000)
        assert "Viewer token" in page.inner_text("body")
    finally:
        context.close()


def test_the_kiosk_takes_only_viewer_tokens_and_only_from_its_own_page(wall: Wall) -> None:
    import urllib.error
    from urllib.parse import urlencode

    engine = make_engine(wall.db.url)
    admin = create_token(engine, "kiosk-admin", Role.ADMIN)[1]
    engine.dispose()
    viewer = _viewer(wall, "kiosk-viewer")[1]

    def post(token: str, origin: str | None) -> int:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin is not None:
            headers["Origin"] = origin
        req = urllib.request.Request(  # noqa: S310 (loopback)
            wall.url + "/wall/login",
            method="POST",
            headers=headers,
            data=urlencode({"token": token}).encode(),
        )

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any) -> None:
                return None

        try:
            with urllib.request.build_opener(NoRedirect).open(req, timeout=30) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    assert post(admin, wall.url) == 403  # more than a viewer: never in a kiosk's cookie
    assert post(viewer, "http://evil.example") == 403  # login CSRF from another site
    assert post(viewer, wall.url) == 303
    assert post(viewer, None) == 303  # not a browser: no Origin to check


def test_redoc_and_the_icon_load_from_loopback_alone(browser: Any, wall: Wall) -> None:
    """Nothing a page asks for leaves the machine, and nothing it asks for is missing: the
    icon browsers ask for on every load, and ReDoc with its logo, offline."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    loopback_only(context, wall)
    page = context.new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.goto(wall.url + "/redoc")
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_load_state("networkidle")
    icon = page.request.get(wall.url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/png"
    context.close()
    offsite = [u for u in wall.refused if "redoc" in u or "favicon" in u or "fastapi" in u]
    assert offsite == [] and missing == [], (offsite, missing)


def test_a_kiosk_stays_signed_in_through_a_browser_restart(browser: Any, wall: Wall) -> None:
    """A token with no expiry: the cookie lasts (400 days, the longest a browser keeps one),
    not the browser session."""
    import time as clock

    context, _ = signed_in(browser, wall)
    try:
        cookie = next(c for c in context.cookies() if c["name"] == "noc_wall")
        assert cookie["expires"] > clock.time() + 300 * 86400, cookie
    finally:
        context.close()


ENGLISH = re.compile(
    r"\b(the|not|is|are|does|answer|answers|configured|environment|variable|"
    r"set|since|down|behind|checks|pass|store|events|waiting|link|links|"
    r"acknowledged|by|of|and|ago|minutes|hours)\b",
    re.I,
)


def test_the_indonesian_wall_has_no_english_word(page: Any, wall: Wall) -> None:
    """Every word a person reads on the Indonesian wall is Indonesian: the DR footer's reason
    too (it printed "replication siak-pbb: not configured: environment variable ... is not
    set"). Names of devices, links and sites are names, and are left out of the check."""
    up_and_polled(page)
    until(page, "document.querySelector('#dr div') !== null", 60)
    text = page.inner_text("body")
    inv = load_inventory(wall.collector.settings.var_dir / "inventory.yaml")
    names = sorted(
        {d.name for d in inv.devices}
        | {ln.name for ln in inv.links}
        | {s.name for s in inv.sites}
        | {s.name for s in inv.services},
        key=len,
        reverse=True,
    )
    for name in names:
        text = text.replace(name, " ")
    found = sorted({m.group(0) for m in ENGLISH.finditer(text)})
    page.screenshot(path=str(SHOTS / "wall-id.png"))
    assert found == [], (found, text)
    # Numbers as Bahasa Indonesia writes them: the decimal comma.
    rate = page.inner_text("#uplink-rate")
    assert re.search(r"masuk \d+,\d / keluar \d+,\d Mbps", rate), rate


def label_boxes(page: Any) -> list[list[float]]:
    return list(
        page.evaluate(
            "Array.from(document.querySelectorAll('#map text')).map(t => {"
            " const b = t.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })"
        )
    )


def test_no_label_on_the_map_covers_another(page: Any, wall: Wall) -> None:
    """BTS-12, BTS-13 and BTS-14 printed over each other; now every label finds a free spot
    (or is left to the tooltip), at 1920x1080 and on a phone."""
    up_and_polled(page)
    for width, height in ((1920, 1080), (412, 915)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(500)
        boxes = label_boxes(page)
        assert len(boxes) >= 18  # every BTS named, the DC, the DR site, the Internet
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap = (
                    min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1
                )
                assert not overlap, (a, b)
    page.set_viewport_size({"width": 1920, "height": 1080})


def test_the_legend_names_every_colour_a_device_can_take(page: Any, wall: Wall) -> None:
    """Each state's colour on the map (flapping's orange included) is in the legend, as a dot
    or, for down, as the red dashed line of a link that is down."""
    up_and_polled(page)
    states: dict[str, str] = page.evaluate("COLOUR")
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('#legend i'))"
        ".map(i => i.classList.contains('dot') ? i.style.background : i.style.borderTopColor)"
    )

    def rgb(hex_colour: str) -> str:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return f"rgb({r}, {g}, {b})"

    missing = {state for state, colour in states.items() if rgb(colour) not in shown}
    assert not missing, (missing, shown)
    assert "tidak stabil" in page.inner_text("#legend")


def test_on_a_phone_the_wall_is_one_column_problems_first(
    browser: Any, wall: Wall, lab: Lab
) -> None:
    """412x915, as an operator on call opens the link from a Telegram message: nothing wider
    than the screen, and problems, then the uplink, then the DR site, then the map."""
    context = browser.new_context(
        viewport={"width": 412, "height": 915},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    loopback_only(context, wall)
    page = context.new_page()
    page.goto(wall.url + "/wall")
    page.fill("#token", wall.token)
    page.click("button[type=submit]")
    page.wait_for_url(wall.url + "/wall")
    lab.scenario(BTS, "down")
    try:
        up_and_polled_or_down(page)
        until(page, f"document.querySelector('#problems li[data-entity=\"{BTS}\"]') !== null", 60)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 412, width
        tops = page.evaluate(
            "['problems-panel', 'uplink-panel', 'dr', 'map-panel'].map("
            "id => document.getElementById(id).getBoundingClientRect().top)"
        )
        assert tops == sorted(tops), tops
        box = page.evaluate("document.getElementById('summary').getBoundingClientRect().right")
        assert box <= 412
        page.screenshot(path=str(SHOTS / "wall-phone.png"), full_page=True)
    finally:
        lab.scenario(BTS, "down", on=False)
        context.close()


def up_and_polled_or_down(page: Any) -> None:
    until(page, "document.querySelectorAll('#map [data-site]').length > 100", 60)


def test_the_schematic_shows_every_device_with_no_label_over_another(
    browser: Any, wall: Wall, lab: Lab
) -> None:
    """The dependency tree, the default view: Internet, the core, BTS and fibre points, the
    offices as chips in their BTS's row. At 1920x1080 all 148 devices are on screen, no two
    labels' boxes meet, and two loads of the page put every device at the same place."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    loopback_only(context, wall, view="schematic")
    page = context.new_page()
    try:
        page.goto(wall.url + "/wall")
        page.fill("#token", wall.token)
        page.click("button[type=submit]")
        page.wait_for_url(wall.url + "/wall")
        until(page, "document.querySelectorAll('#map [data-device]').length >= 148", 60)
        # Another BTS than the other tests': bts-05 has gone down and up twice already, four
        # changes within 10 minutes, so the wall rightly shows it flapping, not down.
        state = f"document.querySelector('#map [data-device=\"{QUIET_BTS}\"]')?.dataset.state"
        until(page, f"{state} === 'up'", 60)
        lab.scenario(QUIET_BTS, "down")
        try:
            until(page, f"{state} === 'down'", 60)
            page.screenshot(path=str(SHOTS / "wall-schematic.png"))
        finally:
            lab.scenario(QUIET_BTS, "down", on=False)
        until(page, f"{state} === 'up'", 60)
        inv = load_inventory(wall.collector.settings.var_dir / "inventory.yaml")
        shown = page.evaluate(
            "Array.from(document.querySelectorAll('#map [data-device]')).map(n => {"
            " const b = n.getBoundingClientRect();"
            " return [n.dataset.device, b.left, b.top, b.right, b.bottom]; })"
        )
        assert {s[0] for s in shown} == {d.name for d in inv.devices}
        assert all(x0 >= 0 and y0 >= 0 and x1 <= 1920 and y1 <= 1080 for _, x0, y0, x1, y1 in shown)
        boxes = label_boxes(page)
        assert len(boxes) == len(inv.devices) + 1  # and the Internet
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap = (
                    min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1
                )
                assert not overlap, (a, b)
        first = {s[0]: s[1:] for s in shown}
        page.reload()
        until(page, "document.querySelectorAll('#map [data-device]').length >= 148", 60)
        again = page.evaluate(
            "Object.fromEntries(Array.from(document.querySelectorAll('#map [data-device]')).map("
            "n => { const b = n.getBoundingClientRect();"
            " return [n.dataset.device, [b.left, b.top, b.right, b.bottom]]; }))"
        )
        assert {k: list(v) for k, v in first.items()} == again
    finally:
        context.close()
    assert wall.refused == []
