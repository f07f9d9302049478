"""The wall screen's server-side cost: 10 screens connected while the collector polls 1,000
targets x 24 interfaces, against the budget of 2% of one core.

Ours: `noc serve`'s HTTP thread (the wall's hub builds one document every 2 s and pushes it
over SSE to every screen) with 10 SSE clients in another process, while the collector polls
the 1,000 targets (simulated agents through the fake client, spread over the 60 s interval,
so the document changes at every refresh). Counted: CPU seconds of the HTTP thread and the
worker threads per wall-clock second.
The anchor, from the same run: the same 10 screens getting the same state (every device and
link) by asking /api/v1/status every 2 s, the way a page without a push channel would.

    .venv/bin/python benchmarks/wall.py [--devices 1000] [--seconds 30] [--screens 10]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scrape import synthetic_inventory  # noqa: E402

from noc.api.app import ApiContext, create_app  # noqa: E402
from noc.exporter import NocMetrics  # noqa: E402
from noc.inventory.loader import validate_document  # noqa: E402
from noc.lab.builder import build_lab  # noqa: E402
from noc.polling.poller import Poller  # noqa: E402
from noc.snmp.fake import FakeSnmpClient  # noqa: E402
from noc.store.audit import AuditLog  # noqa: E402
from noc.store.db import make_engine, upgrade  # noqa: E402
from noc.store.tokens import Role, create_token  # noqa: E402
from noc.wall.hub import WallHub  # noqa: E402

BUDGET = 0.02  # of one core


def inventory(devices: int) -> dict[str, object]:
    """The benchmark inventory with a site per device spread over the city, and a link each."""
    doc = synthetic_inventory(devices)
    sites = doc["sites"]
    for n, device in enumerate(doc["devices"]):  # type: ignore[attr-defined]
        name = f"s{n:04d}"
        sites.append(
            {
                "name": name,
                "kind": "office",
                "title": f"Kantor {n}",  # type: ignore[attr-defined]
                "kecamatan": "K",
                "lat": -6.55 - (n % 40) * 0.0025,
                "lon": 106.75 + (n // 40) * 0.004,
            }
        )
        device["site"] = name
    doc["links"] = [
        {
            "name": f"l{n:04d}",
            "medium": "fiber",
            "tier": "access",
            "a": {"device": f"d{n:04d}", "interface": "Gi0/0"},
            "b": {"device": "d0000", "interface": f"Gi0/{1 + n % 23}"},
            "capacity_bps": 100_000_000,
        }
        for n in range(1, devices)
    ]
    return doc


def thread_cpu(exclude: set[int]) -> float:
    """CPU seconds of this process's threads but those in `exclude` (native ids): the HTTP
    server's thread and its worker threads, without the main thread and the poller."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path("/proc/self/task").iterdir():
        if int(task.name) in exclude:
            continue
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def screen_sse(port: int, token: str, seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/wall/events", headers={"Cookie": f"noc_wall={token}"})
    response = conn.getresponse()
    assert response.status == 200, response.status
    got, views, end = 0, 0, time.monotonic() + seconds
    while time.monotonic() < end:
        line = response.fp.readline()
        got += len(line)
        views += line.startswith(b"event: view")
    out.put((got, views))


def screen_poll(port: int, token: str, seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    got, views, end = 0, 0, time.monotonic() + seconds
    while time.monotonic() < end:
        conn.request("GET", "/api/v1/status", headers={"Authorization": f"Bearer {token}"})
        body = conn.getresponse().read()
        got, views = got + len(body), views + 1
        time.sleep(2)
    out.put((got, views))


def measure(
    kind: str, port: int, token: str, screens: int, seconds: float, exclude: set[int]
) -> tuple[float, int]:
    target = screen_sse if kind == "sse" else screen_poll
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    procs = [
        multiprocessing.Process(target=target, args=(port, token, seconds + 2, queue))
        for _ in range(screens)
    ]
    for p in procs:
        p.start()
    time.sleep(2)  # connected, first document sent
    cpu, start = thread_cpu(exclude), time.monotonic()
    time.sleep(seconds)
    used = (thread_cpu(exclude) - cpu) / (time.monotonic() - start)
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join()
    return used, sum(views for _, views in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--screens", type=int, default=10)
    args = parser.parse_args()

    import uvicorn

    work = Path(tempfile.mkdtemp(prefix="noc-wall-bench-"))
    inv = validate_document(Path("bench.yaml"), inventory(args.devices))
    engine = make_engine(f"sqlite:///{work / 'noc.db'}")
    upgrade(engine)
    _, token = create_token(engine, "bench", Role.VIEWER)
    clock = [time.time()]
    sims = {a.device.name: a.device for a in build_lab(inv, clock[0] - 86400)}

    def snapshot() -> dict[str, dict[tuple[int, ...], object]]:
        return {n: {o: d.get(o, clock[0]) for o in d._order} for n, d in sims.items()}

    client = FakeSnmpClient(snapshot())  # type: ignore[arg-type]
    poller = Poller(inv, client, clock=lambda: clock[0])
    asyncio.run(poller.poll_all())
    ctx = ApiContext(
        inv=inv,
        engine=engine,
        audit=AuditLog(engine, work / "audit.jsonl"),
        client_factory=lambda: client,
        live=poller.live,
        metrics=NocMetrics(poller.live),
        wall=WallHub(poller.live, None, None, None, engine),
    )
    port = 18469
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ctx), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    threading.Thread(
        target=lambda: asyncio.run(server.serve()), name="noc-http", daemon=True
    ).start()
    while not server.started:
        time.sleep(0.05)

    stop = threading.Event()

    def poll_forever() -> None:
        """1,000 targets over 60 s: 1/30 of them every 2 s, each with fresh counters."""
        names = list(poller.devices)
        step = max(1, len(names) // 30)
        i = 0

        async def go() -> None:
            nonlocal i
            while not stop.is_set():
                clock[0] = time.time()
                client.mibs = {
                    n: {o: sims[n].get(o, clock[0]) for o in sims[n]._order}
                    for n in names[i : i + step]
                }
                await poller.poll_all(names[i : i + step])
                i = (i + step) % len(names)
                await asyncio.sleep(2)

        asyncio.run(go())

    poller = threading.Thread(target=poll_forever, name="poller", daemon=True)
    poller.start()
    print(
        f"{args.devices} devices x 24 interfaces, {len(inv.links)} links, {args.screens} "
        f"screens, {args.seconds:g} s each way"
    )
    exclude = {threading.main_thread().native_id or 0, poller.native_id or 0}
    ours, views = measure("sse", port, token, args.screens, args.seconds, exclude)
    hub = ctx.wall
    size = len(hub.body) if hub is not None else 0
    print(
        f"ours   (SSE push, one build per 2 s):  {ours * 100:.2f}% of one core; "
        f"{views} documents delivered ({size / 1024:.0f} KiB each), {hub.builds} builds"
    )
    anchor, polls = measure("poll", port, token, args.screens, args.seconds, exclude)
    print(
        f"anchor (each screen GETs /api/v1/status every 2 s): {anchor * 100:.2f}% of one "
        f"core; {polls} documents delivered"
    )
    per_ours = ours / max(views, 1)
    per_anchor = anchor / max(polls, 1)
    print(
        f"ratio per document delivered, ours/anchor: {per_ours / per_anchor:.2f}; "
        f"ours against the 2% budget: {ours / BUDGET:.2f}"
    )
    stop.set()
    server.should_exit = True


if __name__ == "__main__":
    main()
