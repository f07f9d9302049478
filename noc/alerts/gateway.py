"""Alertmanager's notifications for a WhatsApp-style gateway receiver: kept in the store's
queue until the gateway has taken them, posted with the gateway's token, at most the
receiver's `per_minute` a minute, the rest folded into summaries (at least one a minute, each
within the gateway's length limit).

The webhook answers 202 only once a notification is in the store (else 503, and Alertmanager
tries again). A message the gateway refuses or does not take is tried again later and later
(5 s, doubling, up to 5 minutes), through restarts of the collector.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from noc import redact
from noc.alerts.relay import Outgoing, Queued, RelayPolicy, plan
from noc.errors import NocError
from noc.exporter.families import family
from noc.inventory import Inventory
from noc.inventory.model import GatewayReceiver
from noc.inventory.secrets import resolve_secret
from noc.store.models import RelayMessageRow

log = logging.getLogger(__name__)

EVERY_S = 1.0  # how often the queue is looked at
BACKOFF_S = (5.0, 300.0)  # the first retry's wait, doubling up to the last
KEEP_SENT_S = 7 * 86400  # sent messages kept this long (the rate limit reads the last minute)


class GatewayError(NocError):
    """The gateway did not take a message."""


class GatewayRelay:
    def __init__(
        self, inv: Inventory, engine: Engine | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.inv = inv
        self.engine = engine
        self.clock = clock
        alerting = inv.alerting
        receivers = alerting.receivers if alerting is not None else []
        self.gateways: dict[str, GatewayReceiver] = {
            r.name: r.gateway for r in receivers if r.gateway is not None
        }
        self.policies = {
            name: RelayPolicy(per_minute=g.per_minute, max_chars=g.max_chars)
            for name, g in self.gateways.items()
        }
        self.sent_total: dict[str, int] = dict.fromkeys(self.gateways, 0)
        self.failed_total: dict[str, int] = dict.fromkeys(self.gateways, 0)
        self.waiting: dict[str, tuple[int, float]] = {}  # receiver -> (count, oldest age)
        self._pruned = 0.0

    # --- in: the webhook --------------------------------------------------------------------

    def enqueue(self, receiver: str, subject: str, text: str) -> str:
        """Keep one message for `receiver`'s chat in the store (raises if the store does not
        take it: the webhook then answers 503 and Alertmanager tries again)."""
        if self.engine is None:
            raise RuntimeError("the relay has no store")
        now = self.clock()
        row_id = str(uuid.uuid4())
        with Session(self.engine) as session, session.begin():
            session.add(
                RelayMessageRow(
                    id=row_id,
                    receiver=receiver,
                    subject=subject,
                    text=text,
                    created=now,
                    attempts=0,
                    next_try=now,
                    sent=None,
                    last_error="",
                )
            )
        return row_id

    # --- out: the gateway -------------------------------------------------------------------

    def send(self, message: Outgoing) -> None:
        """POST one message to its receiver's gateway, with the gateway's token; GatewayError
        when it is not taken (an error status, no answer)."""
        gateway = self.gateways[message.chat]
        token = resolve_secret(gateway.token, self.inv.devices).get_secret_value()
        body = json.dumps({"chat": gateway.chat, "text": message.text}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        url = gateway.gateway_url  # validated by the inventory: http(s) only
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (http(s))
                answer.read()
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"the gateway answered {exc.code}") from None
        except OSError as exc:
            raise GatewayError(redact.first_line(exc) or type(exc).__name__) from None

    def deliver(self, now: float | None = None) -> int:
        """One look at the queue: for each receiver, what may go now goes; what the gateway
        does not take waits longer each time. The number of messages the gateway took."""
        if self.engine is None or not self.gateways:
            return 0
        now = self.clock() if now is None else now
        taken = 0
        for receiver, policy in self.policies.items():
            with Session(self.engine) as session:
                rows = session.scalars(
                    select(RelayMessageRow)
                    .where(RelayMessageRow.receiver == receiver, RelayMessageRow.sent.is_(None))
                    .order_by(RelayMessageRow.created)
                ).all()
                sent_at = list(
                    session.scalars(
                        select(RelayMessageRow.sent)
                        .where(
                            RelayMessageRow.receiver == receiver, RelayMessageRow.sent > now - 60
                        )
                        .distinct()
                    )
                )
            self.waiting[receiver] = (len(rows), now - rows[0].created if rows else 0.0)
            due = [
                Queued(r.id, receiver, r.subject, r.text, r.created)
                for r in rows
                if r.next_try <= now
            ]
            tries = {r.id: r.attempts for r in rows}
            for message in plan(due, [t for t in sent_at if t is not None], now, policy):
                try:
                    self.send(message)
                except GatewayError as exc:
                    self.failed_total[receiver] += 1
                    self._failed(message, tries, now, str(exc))
                    break  # the gateway is in trouble: the rest waits for the next look
                # Each message its own moment, so the rate limit counts them one by one.
                now = max(now, self.clock())
                self._sent(message, now)
                now += 1e-6
                self.sent_total[receiver] += 1
                taken += 1
        if now - self._pruned > 3600:
            self._pruned = now
            with Session(self.engine) as session, session.begin():
                session.execute(
                    delete(RelayMessageRow).where(RelayMessageRow.sent < now - KEEP_SENT_S)
                )
        return taken

    def _sent(self, message: Outgoing, now: float) -> None:
        assert self.engine is not None
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(RelayMessageRow).where(RelayMessageRow.id.in_(message.ids)).values(sent=now)
            )

    def _failed(self, message: Outgoing, tries: dict[str, int], now: float, why: str) -> None:
        assert self.engine is not None
        attempts = max(tries.get(i, 0) for i in message.ids) + 1
        wait = min(BACKOFF_S[1], BACKOFF_S[0] * 2 ** (attempts - 1))
        log.warning(
            "gateway %s did not take a message (%s); %d waiting messages tried again in %.0f s",
            message.chat,
            why,
            len(message.ids),
            wait,
        )
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(RelayMessageRow)
                .where(RelayMessageRow.id.in_(message.ids))
                .values(attempts=attempts, next_try=now + wait, last_error=why[:500])
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Look at the queue every EVERY_S until `stop`; a store that does not answer is
        looked at again later (what waits stays in it)."""
        said = False
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.deliver)
                said = False
            except Exception as exc:  # the store away: the queue is where it was
                if not said:
                    log.warning(
                        "gateway relay: the queue cannot be read (%s); trying again",
                        redact.first_line(exc),
                    )
                    said = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), EVERY_S)


class RelayMetrics(PromCollector):
    """The relay's queue for /metrics: what waits and for how long, what went, what failed."""

    def __init__(self, relay: GatewayRelay) -> None:
        self.relay = relay

    def collect(self) -> Iterator[Metric]:
        r = self.relay
        if not r.gateways:
            return
        waiting = family("noc_relay_waiting_messages")
        oldest = family("noc_relay_oldest_waiting_seconds")
        sent = family("noc_relay_sent_messages_total")
        failed = family("noc_relay_failed_messages_total")
        for name in sorted(r.gateways):
            count, age = r.waiting.get(name, (0, 0.0))
            waiting.add_metric([name], float(count))
            oldest.add_metric([name], age)
            sent.add_metric([name], float(r.sent_total.get(name, 0)))
            failed.add_metric([name], float(r.failed_total.get(name, 0)))
        yield from (waiting, oldest, sent, failed)
