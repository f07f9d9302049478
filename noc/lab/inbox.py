"""Local stand-ins for where alerts go, for the demo: a Telegram Bot API, a WhatsApp-style
gateway and an SMTP sink, on loopback. Each writes what it receives to `var/alerts/*.jsonl`,
which `noc alerts inbox` lists."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHANNELS = ("telegram", "gateway", "mail")


def _append(folder: Path, channel: str, item: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{channel}.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"at": time.time(), **item}) + "\n")


def _http(port: int, handle: Callable[[str, dict[str, str], bytes], tuple[int, bytes]]) -> Any:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, reply = handle(self.path, dict(self.headers), body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_inbox(
    folder: Path, telegram_url: str | None, gateway_url: str | None, smtp: str | None
) -> list[Any]:
    """Start the stand-ins the inventory's receivers point at; what to stop later."""
    started: list[Any] = []
    if telegram_url:

        def telegram(path: str, _: dict[str, str], body: bytes) -> tuple[int, bytes]:
            if re.fullmatch(r"/bot[^/]+/sendMessage", path) is None:
                return 404, b"{}"
            data = json.loads(body or b"{}")
            _append(folder, "telegram", {"to": str(data.get("chat_id")), "text": data.get("text")})
            chat = data.get("chat_id")
            chat_id = int(chat) if str(chat).lstrip("-").isdigit() else 0
            result = {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "supergroup"},
            }
            return 200, json.dumps({"ok": True, "result": result}).encode()

        started.append(_http(urlsplit(telegram_url).port or 80, telegram))
    if gateway_url:

        def gateway(_: str, __: dict[str, str], body: bytes) -> tuple[int, bytes]:
            data = json.loads(body or b"{}")
            _append(folder, "gateway", {"to": data.get("chat"), "text": data.get("text")})
            return 200, b"{}"

        started.append(_http(urlsplit(gateway_url).port or 80, gateway))
    if smtp:
        try:
            from aiosmtpd.controller import Controller
        except ImportError:  # the sink comes with the development tools
            return started

        class Sink:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                mail = message_from_bytes(envelope.content)
                parts = mail.walk() if mail.is_multipart() else [mail]
                text = "".join(
                    payload.decode("utf-8", "replace")
                    for p in parts
                    if p.get_content_maintype() == "text"
                    and isinstance(payload := p.get_payload(decode=True), bytes)
                )
                text = re.sub(r"<[^>]+>", "", text)
                to = ", ".join(envelope.rcpt_tos)
                _append(folder, "mail", {"to": to, "subject": str(mail["Subject"]), "text": text})
                return "250 OK"

        host, port = smtp.rsplit(":", 1)
        controller = Controller(Sink(), hostname=host, port=int(port))
        controller.start()
        started.append(controller)
    return started


def stop_inbox(started: list[Any]) -> None:
    for item in started:
        if hasattr(item, "shutdown"):
            item.shutdown()
        else:
            item.stop()


def read_inbox(folder: Path) -> list[dict[str, Any]]:
    out = []
    for channel in CHANNELS:
        path = folder / f"{channel}.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    out.append({"channel": channel, **json.loads(line)})
                except ValueError:
                    continue
    return sorted(out, key=lambda m: m["at"])
