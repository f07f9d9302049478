"""The checks of a service, made the way a citizen's browser or mail client meets it: HTTP (our
own small client, so that every hop of a redirect shows its certificate chain), TLS, DNS, a TCP
banner and ICMP. Each check ends with a `CheckResult`, never an exception: a refusal, a
timeout or garbage is its reason. `source` binds the check to one local address (a vantage
point's own), `now` dates the certificates' days.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import socket
import ssl
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import icmplib
from cryptography import x509
from cryptography.x509.oid import NameOID

from noc.inventory.services import (
    Check,
    DnsCheck,
    HttpCheck,
    IcmpCheck,
    TcpCheck,
    address_port,
)

MAX_BODY = 1 << 20
DER = 2  # ssl's _ssl.ENCODING_DER: the chain's certificates as DER
MAX_HOPS = 5
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Cert:
    """One certificate of a hop's chain, as served (0 is the server's own)."""

    host: str
    position: int
    subject: str
    not_after: float

    def days_left(self, now: float) -> float:
        return (self.not_after - now) / 86_400

    @property
    def role(self) -> str:
        return "leaf" if self.position == 0 else f"intermediate {self.position}"


@dataclass(frozen=True)
class CheckResult:
    kind: str  # http, tcp, dns, icmp
    label: str  # what was checked, in a few words
    ok: bool
    reason: str | None
    duration_s: float
    certs: tuple[Cert, ...] = ()
    rtts_ms: tuple[float, ...] = ()


def label_of(check: Check) -> str:
    if check.http is not None:
        return check.http.url
    if check.tcp is not None:
        return f"tcp {check.tcp.connect_to}"
    if check.dns is not None:
        return f"dns {check.dns.name}"
    assert check.icmp is not None
    return f"icmp {check.icmp.address}"


async def run_check(
    check: Check, source: str | None, ca_file: Path | None, now: float
) -> CheckResult:
    started = time.monotonic()
    label = label_of(check)
    try:
        if check.http is not None:
            ok, reason, certs = await _http(check.http, source, ca_file, now)
            extra: dict[str, tuple[Cert, ...] | tuple[float, ...]] = {"certs": certs}
        elif check.tcp is not None:
            ok, reason = await _tcp(check.tcp, source)
            extra = {}
        elif check.dns is not None:
            ok, reason = await _dns(check.dns, source)
            extra = {}
        else:
            assert check.icmp is not None
            ok, reason, rtts = await _icmp(check.icmp, source)
            extra = {"rtts_ms": rtts}
    except Exception as exc:  # a check ends with a reason, never an exception
        ok, reason, extra = False, f"{type(exc).__name__}: {exc}"[:200], {}
    took = time.monotonic() - started
    return CheckResult(check.kind, label, ok, reason, took, **extra)  # type: ignore[arg-type]


# --- HTTP and TLS ------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _context(ca_file: Path | None, verify: bool) -> ssl.SSLContext:
    """One context per trust store, made once: loading the system's CAs costs more than a
    whole check."""
    ctx = ssl.create_default_context()
    if ca_file is not None:
        ctx.load_verify_locations(cafile=str(ca_file))
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _chain(writer: asyncio.StreamWriter, host: str) -> tuple[Cert, ...]:
    obj = writer.get_extra_info("ssl_object")
    raw = getattr(getattr(obj, "_sslobj", None), "get_unverified_chain", lambda: None)()
    out = []
    for position, cert in enumerate(raw or []):
        parsed = x509.load_der_x509_certificate(cert.public_bytes(DER))
        names = parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        subject = str(names[0].value) if names else parsed.subject.rfc4514_string()
        out.append(Cert(host, position, subject, parsed.not_valid_after_utc.timestamp()))
    return tuple(out)


async def _open(
    address: str,
    port: int,
    source: str | None,
    ctx: ssl.SSLContext | None,
    host: str | None,
    timeout: float,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(
        asyncio.open_connection(
            address,
            port,
            ssl=ctx,
            server_hostname=host if ctx is not None else None,
            local_addr=(source, 0) if source else None,
            limit=MAX_BODY,
        ),
        timeout,
    )


async def _http(
    check: HttpCheck, source: str | None, ca_file: Path | None, now: float
) -> tuple[bool, str | None, tuple[Cert, ...]]:
    deadline = time.monotonic() + check.max_s
    url, certs = check.url, list[Cert]()
    endpoint = check.connect_to
    for _ in range(MAX_HOPS + 1):
        parts = urlsplit(url)
        host = parts.hostname or ""
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        target = endpoint or check.hops.get(host)
        address, port = address_port(target) if target else (host, port)
        where = f"{host} ({address}:{port})"
        left = deadline - time.monotonic()
        if left <= 0:
            return False, f"slower than {check.max_s:g} s", tuple(certs)
        try:
            ctx = _context(ca_file, verify=True) if https else None
            reader, writer = await _open(address, port, source, ctx, host, left)
        except ssl.SSLCertVerificationError as exc:
            # Which certificate: read the chain as served, without trusting it.
            with contextlib.suppress(Exception):
                reader, writer = await _open(
                    address, port, source, _context(None, False), host, 3.0
                )
                certs.extend(_chain(writer, host))
                writer.close()
            return False, f"certificate of {host}: {_why(exc, certs, host, now)}", tuple(certs)
        except TimeoutError:
            return False, f"no answer from {where} within {check.max_s:g} s", tuple(certs)
        except OSError as exc:
            return False, f"{where}: {_said(exc)}", tuple(certs)
        try:
            if https:
                certs.extend(_chain(writer, host))
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request = (
                f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                "User-Agent: noc-service-check\r\nAccept: */*\r\nConnection: close\r\n\r\n"
            )
            writer.write(request.encode())
            left = max(0.01, deadline - time.monotonic())
            try:
                raw = await asyncio.wait_for(_read_all(reader), left)
            except TimeoutError:
                return False, f"slower than {check.max_s:g} s ({host})", tuple(certs)
        finally:
            writer.close()
        status, headers, body = _parse(raw)
        if status is None:
            return False, f"{host}: no HTTP answer", tuple(certs)
        if status in REDIRECTS and "location" in headers:
            url, endpoint = urljoin(url, headers["location"]), None
            continue
        if status not in check.status:
            return False, f"status {status} from {host}", tuple(certs)
        if check.contains is not None and check.contains not in body:
            return False, f"the page lacks {check.contains!r}", tuple(certs)
        return True, None, tuple(certs)
    return False, f"more than {MAX_HOPS} redirects", tuple(certs)


def _said(exc: OSError) -> str:
    """An OS error in a few words, never empty."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return "the connection was closed at once"
    return str(exc.strerror or exc or type(exc).__name__)


def _why(exc: ssl.SSLCertVerificationError, certs: list[Cert], host: str, now: float) -> str:
    message = exc.verify_message or str(exc)
    expired = [c for c in certs if c.host == host and c.not_after < now]
    if expired:
        c = expired[0]
        day = time.strftime("%Y-%m-%d", time.gmtime(c.not_after))
        return f"{message}: {c.role} {c.subject!r} expired {day}"
    return str(message)


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    data = bytearray()
    while len(data) < MAX_BODY:
        chunk = await reader.read(65536)
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _parse(raw: bytes) -> tuple[int | None, dict[str, str], str]:
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = lines[0].split(" ", 2) if lines else []
    if not sep or len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
        return None, {}, ""
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _unchunk(body)
    return int(fields[1]), headers, body.decode("utf-8", errors="replace")


def _unchunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while pos < len(data):
        end = data.find(b"\r\n", pos)
        if end < 0:
            break
        try:
            size = int(data[pos:end].split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += data[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2
    return bytes(out)


# --- TCP banners -------------------------------------------------------------------------


async def _tcp(check: TcpCheck, source: str | None) -> tuple[bool, str | None]:
    address, port = address_port(check.connect_to)
    try:
        reader, writer = await _open(address, port, source, None, None, check.max_s)
    except TimeoutError:
        return False, f"no answer from {check.connect_to} within {check.max_s:g} s"
    except OSError as exc:
        return False, f"{check.connect_to}: {_said(exc)}"
    try:
        line = await asyncio.wait_for(reader.readline(), check.max_s)
    except (TimeoutError, ValueError):
        return False, f"no greeting from {check.connect_to} within {check.max_s:g} s"
    finally:
        writer.close()
    text = line.decode("utf-8", errors="replace").strip()
    if check.banner is not None and not text.startswith(check.banner):
        shown = text[:60] or "nothing"
        return False, f"{check.connect_to} greets with {shown!r}, not {check.banner!r}"
    return True, None


# --- DNS ---------------------------------------------------------------------------------


def dns_query(name: str, ident: int) -> bytes:
    """A standard query for `name`'s A records, recursion desired."""
    labels = b"".join(bytes((len(p),)) + p.encode() for p in name.rstrip(".").split("."))
    return struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\x00\x00\x01\x00\x01"


def _skip_name(data: bytes, pos: int) -> int:
    while True:
        length = data[pos]
        if length & 0xC0 == 0xC0:
            return pos + 2
        if length == 0:
            return pos + 1
        pos += 1 + length


def dns_answers(data: bytes, ident: int) -> tuple[int, set[str]]:
    """(rcode, the A records) of a reply; ValueError when it is not one to our query."""
    if len(data) < 12:
        raise ValueError("a short reply")
    got, flags, questions, answers, _, _ = struct.unpack(">HHHHHH", data[:12])
    if got != ident or not flags & 0x8000:
        raise ValueError("not our reply")
    pos = 12
    for _ in range(questions):
        pos = _skip_name(data, pos) + 4
    found = set()
    for _ in range(answers):
        pos = _skip_name(data, pos)
        kind, _, _, length = struct.unpack(">HHIH", data[pos : pos + 10])
        pos += 10
        if kind == 1 and length == 4:
            found.add(socket.inet_ntoa(data[pos : pos + 4]))
        pos += length
    return flags & 0x0F, found


class _Reply(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if not self.got.done():
            self.got.set_result(data)


async def _ask(name: str, server: str, source: str | None, timeout: float) -> set[str] | str:
    address, port = address_port(server)
    loop = asyncio.get_running_loop()
    ident = random.SystemRandom().randrange(1 << 16)
    transport, reply = await loop.create_datagram_endpoint(
        _Reply, local_addr=(source, 0) if source else None, remote_addr=(address, port)
    )
    try:
        transport.sendto(dns_query(name, ident))
        data = await asyncio.wait_for(reply.got, timeout)
        rcode, found = dns_answers(data, ident)
    except TimeoutError:
        return f"{server} did not answer within {timeout:g} s"
    except (ValueError, IndexError, struct.error):
        return f"{server} answered garbage"
    finally:
        transport.close()
    if rcode != 0:
        return f"{server} answered rcode {rcode}"
    return found


async def _dns(check: DnsCheck, source: str | None) -> tuple[bool, str | None]:
    asked = await asyncio.gather(*(_ask(check.name, s, source, check.max_s) for s in check.servers))
    for answer in asked:
        if isinstance(answer, str):
            return False, answer
    sets = [a for a in asked if isinstance(a, set)]
    if any(a != sets[0] for a in sets):
        split = "; ".join(
            f"{s}: {', '.join(sorted(a)) or 'none'}"
            for s, a in zip(check.servers, sets, strict=True)
        )
        return False, f"the servers disagree on {check.name} ({split})"
    want = {str(a) for a in check.expect}
    if want and sets[0] != want:
        return False, f"{check.name} is {_listed(sets[0])}, not {_listed(want)}"
    if not sets[0]:
        return False, f"no address for {check.name}"
    return True, None


def _listed(addresses: set[str]) -> str:
    return ", ".join(sorted(addresses)) or "nothing"


# --- ICMP --------------------------------------------------------------------------------


async def _icmp(check: IcmpCheck, source: str | None) -> tuple[bool, str | None, tuple[float, ...]]:
    host = await icmplib.async_ping(
        str(check.address),
        count=check.count,
        interval=0.2,
        timeout=1.0,
        privileged=os.geteuid() == 0,
        source=source,
    )
    rtts = tuple(round(r, 3) for r in host.rtts)
    loss = host.packet_loss * 100
    if loss > check.max_loss_pct:
        return False, f"{loss:.0f}% loss to {check.address}", rtts
    return True, None, rtts
