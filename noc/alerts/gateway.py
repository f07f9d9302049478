"""Alertmanager's notifications for a WhatsApp-style gateway receiver: posted to the gateway
with its token, at most the receiver's `per_minute` a minute, the rest folded into a summary
sent when the chat has room."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request

from noc import redact
from noc.alerts.relay import Outgoing, RateLimiter
from noc.inventory import Inventory
from noc.inventory.model import GatewayReceiver
from noc.inventory.secrets import resolve_secret

log = logging.getLogger(__name__)


class GatewayRelay:
    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        alerting = inv.alerting
        receivers = alerting.receivers if alerting is not None else []
        self.gateways: dict[str, GatewayReceiver] = {
            r.name: r.gateway for r in receivers if r.gateway is not None
        }
        # One limiter for every gateway receiver (its own limit is the tightest).
        limits = [g.per_minute for g in self.gateways.values()] or [20]
        self.limiter = RateLimiter(per_minute=min(limits))
        self._flusher: asyncio.Task[None] | None = None

    def send(self, message: Outgoing) -> None:
        """POST one message to its receiver's gateway, with the gateway's token."""
        gateway = self.gateways[message.chat]
        token = resolve_secret(gateway.token, self.inv.devices).get_secret_value()
        body = json.dumps({"chat": gateway.chat, "text": message.text}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        url = gateway.gateway_url  # validated by the inventory: http(s) only
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (an http(s) URL)
                pass
        except OSError as exc:
            log.warning("gateway %s: %s", message.chat, redact.first_line(exc))

    async def offer(self, receiver: str, subject: str, text: str) -> int:
        """Relay one notification now if the chat has room; the number of messages sent."""
        sent = self.limiter.offer(receiver, subject, text, time.time())
        self._start_flusher()
        for message in sent:
            await asyncio.to_thread(self.send, message)
        return len(sent)

    def _start_flusher(self) -> None:
        """Summaries of what was held, sent when each chat has room (every 2 s)."""
        if self._flusher is not None and not self._flusher.done():
            return

        async def flush() -> None:
            while True:
                await asyncio.sleep(2)
                for message in self.limiter.flush(time.time()):
                    await asyncio.to_thread(self.send, message)

        self._flusher = asyncio.get_running_loop().create_task(flush())
