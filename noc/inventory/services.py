"""The city's services in the inventory (`services:`), watched the way citizens reach them: each
with the devices it runs on, its availability target and its checks (HTTP with TLS, DNS, TCP
with a banner, ICMP). Addresses to connect to are written out (`connect_to`), so a check never
depends on the resolver of the machine it runs on unless it is meant to.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME = r"^[a-z0-9][a-z0-9-]*$"
TEXT = r"^[^\x00-\x1f\x7f]*$"
Port = Annotated[int, Field(ge=1, le=65535)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def address_port(value: str) -> tuple[str, int]:
    """`127.0.9.1:8443` or `[::1]:8443` -> (address, port); ValueError otherwise."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit():
        raise ValueError(f"{value!r} is not ADDRESS:PORT")
    address = ipaddress.ip_address(host.strip("[]"))
    number = int(port)
    if not 1 <= number <= 65535:
        raise ValueError(f"port {number} is out of range")
    return str(address), number


def _checked_endpoint(value: str) -> str:
    address_port(value)
    return value


class HttpCheck(_Strict):
    """A page fetched as a browser would: status, content, time; for https, every certificate
    of every hop's chain (redirects followed, up to 5)."""

    url: Annotated[str, Field(max_length=2000, pattern=TEXT)]
    connect_to: str | None = None  # ADDRESS:PORT for the URL's host (the first hop)
    status: list[Annotated[int, Field(ge=100, le=599)]] = [200]
    contains: Annotated[str, Field(max_length=500, pattern=TEXT)] | None = None
    max_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    # Hosts the redirects go to, with where to connect (a hop not listed is resolved).
    hops: dict[str, str] = {}

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an http:// or https:// URL with a host")
        return value

    @field_validator("connect_to")
    @classmethod
    def _connect_to(cls, value: str | None) -> str | None:
        return None if value is None else _checked_endpoint(value)

    @field_validator("hops")
    @classmethod
    def _hops(cls, value: dict[str, str]) -> dict[str, str]:
        for endpoint in value.values():
            _checked_endpoint(endpoint)
        return value


class TcpCheck(_Strict):
    """A TCP service's greeting: SMTP's `220`, IMAP's `* OK`."""

    connect_to: str
    banner: Annotated[str, Field(max_length=200, pattern=TEXT)] | None = None
    max_s: Annotated[float, Field(gt=0, le=60)] = 5.0

    @field_validator("connect_to")
    @classmethod
    def _connect_to(cls, value: str) -> str:
        return _checked_endpoint(value)


class DnsCheck(_Strict):
    """A name asked of each server (its authoritative ones): every one answers, and all agree
    (with `expect` when given)."""

    name: Annotated[str, Field(max_length=253, pattern=r"^[A-Za-z0-9.-]+$")]
    servers: Annotated[list[str], Field(min_length=1)]
    expect: list[ipaddress.IPv4Address] = []
    max_s: Annotated[float, Field(gt=0, le=60)] = 3.0

    @field_validator("servers")
    @classmethod
    def _servers(cls, value: list[str]) -> list[str]:
        for endpoint in value:
            _checked_endpoint(endpoint)
        return value


class IcmpCheck(_Strict):
    """Echo requests: loss and the round-trip times (their spread, as Smokeping shows it)."""

    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    count: Annotated[int, Field(ge=1, le=20)] = 5
    max_loss_pct: Annotated[float, Field(ge=0, lt=100)] = 20.0


class Check(_Strict):
    """One check: exactly one of its kinds."""

    http: HttpCheck | None = None
    tcp: TcpCheck | None = None
    dns: DnsCheck | None = None
    icmp: IcmpCheck | None = None

    @model_validator(mode="after")
    def _one(self) -> Check:
        if sum(x is not None for x in (self.http, self.tcp, self.dns, self.icmp)) != 1:
            raise ValueError("one of http, tcp, dns or icmp")
        return self

    @property
    def kind(self) -> Literal["http", "tcp", "dns", "icmp"]:
        if self.http is not None:
            return "http"
        if self.tcp is not None:
            return "tcp"
        return "dns" if self.dns is not None else "icmp"


class Service(_Strict):
    name: Annotated[str, Field(pattern=NAME, max_length=64)]
    title: Annotated[str, Field(pattern=TEXT, max_length=200)]
    runs_on: list[str] = []  # devices; the first is what the service stands behind
    target: Annotated[float, Field(gt=0, le=100)] = 99.982  # percent of a year (SPBE)
    interval_s: Annotated[int, Field(ge=10, le=3600)] = 30
    checks: Annotated[list[Check], Field(min_length=1)]
