"""The city's services, served in the lab on loopback: HTTPS sites behind a lab CA whose
intermediate expires soon (and a redirect hop with a certificate of its own), two DNS servers
for the city's zone, SMTP and IMAP greetings, and a canary each vantage point checks its own
uplink with.

Scenarios, per service: `down` (connections refused), `slow` (answers after 8 s), `content`
(a maintenance page without the expected text); per DNS server: `disagree`; and, per vantage
point's source address, `cut` (nothing answers it, its canary included: its uplink is cut).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import ssl
import struct
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from noc.inventory import Inventory
from noc.inventory.services import address_port

log = logging.getLogger(__name__)

SLOW_S = 8.0
SERVICE_SCENARIOS = ("down", "slow", "content", "cut")
PAGES = {
    "lpse.kotabogor.go.id": "<title>SPSE 4.5</title><h1>LPSE Kota Bogor</h1><p>Login SPSE",
    "www.kotabogor.go.id": "<title>Pemerintah Kota Bogor</title><h1>Kota Bogor</h1>",
    "kotabogor.go.id": "",  # redirects to www
    "kantaya.kotabogor.go.id": "<title>SIM Kantaya</title><form>Masuk</form>",
    "siak.kotabogor.go.id": "<title>SIAK</title><p>Sistem Informasi Administrasi Kependudukan",
    "pbb.kotabogor.go.id": "<title>e-PBB Kota Bogor</title><p>Cek tagihan PBB",
    "webmail.kotabogor.go.id": "<title>Webmail Kota Bogor</title><form>Login</form>",
}
MAINTENANCE = "<title>Pemeliharaan</title><p>Situs sedang dalam pemeliharaan"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class LabCa:
    """A root, an intermediate (expiring in `intermediate_days`) and leaves for the hosts."""

    directory: Path
    intermediate_days: float = 10.0
    root_key: ec.EllipticCurvePrivateKey = field(init=False)
    root: x509.Certificate = field(init=False)
    mid_key: ec.EllipticCurvePrivateKey = field(init=False)
    mid: x509.Certificate = field(init=False)

    def __post_init__(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = self._issue(
            "Lab Kota Bogor Root CA",
            self.root_key,
            None,
            None,
            now + datetime.timedelta(days=3650),
            ca=True,
        )
        self.mid_key = ec.generate_private_key(ec.SECP256R1())
        self.mid = self._issue(
            "Lab Kota Bogor Intermediate CA",
            self.mid_key,
            self.root,
            self.root_key,
            now + datetime.timedelta(days=self.intermediate_days),
            ca=True,
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_file.write_bytes(self.root.public_bytes(serialization.Encoding.PEM))

    @property
    def ca_file(self) -> Path:
        return self.directory / "lab-ca.pem"

    def _issue(
        self,
        cn: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: x509.Certificate | None,
        issuer_key: ec.EllipticCurvePrivateKey | None,
        not_after: datetime.datetime,
        ca: bool = False,
        hosts: tuple[str, ...] = (),
    ) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(issuer.subject if issuer is not None else _name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if hosts:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False
            )
        return builder.sign(issuer_key or key, hashes.SHA256())

    def server_context(self, host: str) -> ssl.SSLContext:
        """A TLS server context for `host`: its leaf (a year) and the intermediate."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        leaf = self._issue(
            host, key, self.mid, self.mid_key, now + datetime.timedelta(days=365), hosts=(host,)
        )
        chain = self.directory / f"{host}.pem"
        secret = self.directory / f"{host}.key"
        chain.write_bytes(
            leaf.public_bytes(serialization.Encoding.PEM)
            + self.mid.public_bytes(serialization.Encoding.PEM)
        )
        secret.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        secret.chmod(0o600)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(chain), str(secret))
        return ctx


@dataclass
class Site:
    host: str
    address: str
    port: int
    redirect_to: str | None = None  # a URL


class LabServices:
    """The services' servers on loopback; `scenario` and `cut` change what they do."""

    def __init__(self, directory: Path, intermediate_days: float = 10.0) -> None:
        self.ca = LabCa(directory, intermediate_days)
        self.scenarios: dict[str, set[str]] = {}  # host or server -> scenarios on
        self.cut: set[str] = set()  # source addresses whose uplink is cut
        self.servers: list[asyncio.AbstractServer] = []
        self.transports: list[asyncio.BaseTransport] = []
        self.zone: dict[str, str] = {}  # name -> address, what the DNS servers answer
        self.hits: dict[str, int] = {}
        self.served: dict[str, list[str]] = {}  # service -> the servers it is checked at

    def scenario(self, target: str, name: str, on: bool = True) -> None:
        found = self.scenarios.setdefault(target, set())
        if on:
            found.add(name)
        else:
            found.discard(name)

    def _refused(self, writer: asyncio.StreamWriter, target: str) -> bool:
        peer = writer.get_extra_info("peername")
        return (peer is not None and peer[0] in self.cut) or "down" in self.scenarios.get(
            target, set()
        )

    async def site(self, site: Site, tls: bool = True) -> None:
        ctx = self.ca.server_context(site.host) if tls else None

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                if self._refused(writer, site.host):
                    return
                if ctx is not None:
                    await writer.start_tls(ctx)
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                self.hits[site.host] = self.hits.get(site.host, 0) + 1
                on = self.scenarios.get(site.host, set())
                if "slow" in on:
                    await asyncio.sleep(SLOW_S)
                if site.redirect_to is not None:
                    head = f"HTTP/1.1 301 Moved Permanently\r\nLocation: {site.redirect_to}\r\n"
                    body = ""
                else:
                    body = MAINTENANCE if "content" in on else PAGES.get(site.host, "ok")
                    head = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                data = body.encode()
                writer.write(
                    f"{head}Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ssl.SSLError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    writer.close()

        self.servers.append(await asyncio.start_server(handle, site.address, site.port))

    async def banner(self, name: str, address: str, port: int, greeting: str) -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                if not self._refused(writer, name):
                    writer.write(greeting.encode() + b"\r\n")
                    await writer.drain()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(reader.read(100), 2)
            except OSError:
                pass
            finally:
                writer.close()

        self.servers.append(await asyncio.start_server(handle, address, port))

    async def dns(self, name: str, address: str, port: int) -> None:
        lab = self

        class Server(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
                if addr[0] in lab.cut or "down" in lab.scenarios.get(name, set()):
                    return
                answer = lab._answer(name, data)
                if answer is not None:
                    self.transport.sendto(answer, addr)  # type: ignore[attr-defined]

        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(Server, local_addr=(address, port))
        self.transports.append(transport)

    def _answer(self, server: str, query: bytes) -> bytes | None:
        if len(query) < 17:
            return None
        ident = query[:2]
        pos, labels = 12, []
        while pos < len(query) and query[pos]:
            length = query[pos]
            labels.append(query[pos + 1 : pos + 1 + length].decode(errors="replace"))
            pos += 1 + length
        question = query[12 : pos + 5]
        asked = ".".join(labels).lower()
        found = self.zone.get(asked)
        if found is not None and "disagree" in self.scenarios.get(server, set()):
            found = "127.0.9.254"
        header = ident + struct.pack(
            ">HHHHH", 0x8400 | (0 if found else 3), 1, 1 if found else 0, 0, 0
        )
        if found is None:
            return header + question
        record = (
            b"\xc0\x0c"
            + struct.pack(">HHIH", 1, 1, 300, 4)
            + bytes(int(p) for p in found.split("."))
        )
        return header + question + record

    def close(self) -> None:
        for server in self.servers:
            server.close()
        for transport in self.transports:
            transport.close()


GREETINGS = {"220": "220 mail.kotabogor.go.id ESMTP ready", "* OK": "* OK IMAP4rev1 ready"}


async def serve_inventory(inv: Inventory, directory: Path) -> LabServices:
    """Serve every service of the inventory where its checks look for it (loopback only): the
    sites and their redirect hops, the greetings, the DNS servers with the zone the checks
    ask about. A server whose address cannot be bound is left out with one warning line."""
    lab = LabServices(directory)
    sites: dict[tuple[str, int], Site] = {}
    dns_servers: set[str] = set()
    for svc in inv.services:
        for check in svc.checks:
            if check.http is not None and check.http.connect_to is not None:
                parts = urlsplit(check.http.url)
                address, port = address_port(check.http.connect_to)
                hop = next(iter(check.http.hops.items()), None)
                redirect = None
                if hop is not None:
                    hop_address, hop_port = address_port(hop[1])
                    redirect = f"https://{hop[0]}:{hop_port}/"
                    sites[(hop_address, hop_port)] = Site(hop[0], hop_address, hop_port)
                sites[(address, port)] = Site(parts.hostname or "", address, port, redirect)
                lab.served.setdefault(svc.name, []).append(parts.hostname or "")
            elif check.tcp is not None:
                address, port = address_port(check.tcp.connect_to)
                greeting = GREETINGS.get(check.tcp.banner or "", f"{check.tcp.banner} ready")
                await _tolerant(lab.banner(f"{svc.name}-{port}", address, port, greeting))
                lab.served.setdefault(svc.name, []).append(f"{svc.name}-{port}")
            elif check.dns is not None:
                target = str(check.dns.expect[0]) if check.dns.expect else "127.0.9.11"
                lab.zone[check.dns.name.lower()] = target
                for server in check.dns.servers:
                    if server not in dns_servers:
                        dns_servers.add(server)
                        await _tolerant(lab.dns(server, *address_port(server)))
    for site in sites.values():
        await _tolerant(lab.site(site))
    return lab


async def _tolerant(starting: Awaitable[None]) -> None:
    try:
        await starting
    except OSError as exc:
        log.warning("lab: a service's server could not start: %s", exc.strerror or exc)
