"""The API's store reads: a deadline, and a bound on the reads in flight, so reads stuck on a
frozen store never hold a request for long nor take the threads the rest needs."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest

from noc.api import deps
from noc.api.deps import StoreTimeout, store_read


def test_reads_past_the_deadline_and_past_the_bound_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deps, "STORE_READ_S", 0.2)
    gate = threading.Event()
    ctx: Any = SimpleNamespace(
        store_readers=threading.BoundedSemaphore(2), store_pool=ThreadPoolExecutor(2)
    )

    async def main() -> list[str]:
        said = []
        for _ in range(2):  # each waits its deadline, then its thread stays stuck
            with pytest.raises(StoreTimeout, match=r"no answer from the store in 0\.2 s"):
                await store_read(ctx, gate.wait)
        # Both places are held by stuck reads: the next is refused without waiting.
        with pytest.raises(StoreTimeout, match="every store read in flight") as refused:
            await store_read(ctx, lambda: "never run")
        said.append(str(refused.value))
        gate.set()
        await asyncio.sleep(0.1)
        said.append(await store_read(ctx, lambda: "answered"))
        return said

    assert asyncio.run(main())[-1] == "answered"
    ctx.store_pool.shutdown()
