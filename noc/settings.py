"""The toolkit's settings: each field is the variable NOC_ + its name (in any case), read from
the environment, else from the settings files (/etc/noc/noc.env, then the project's noc.env);
what the code passes in wins over both. A value that does not hold is one line naming the
variable, its value and where it was set (`SettingsError`)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from noc import redact
from noc.errors import NocError
from noc.paths import default_inventory, default_var_dir, from_settings_files
from noc.snmp.codecs import ClientFactory, Codec, client_factory

PREFIX = "NOC_"


class SettingsError(NocError, ValueError):
    """A setting that does not hold, said in one line."""


def normalise_db_url(url: str) -> str:
    """`postgres://` and `postgresql://` (what libpq and most tools write) mean PostgreSQL
    through psycopg 3, the driver the toolkit ships."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def proxy_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """`127.0.0.1, ::1, 127.0.1.0/24` as networks; ValueError naming what is not one."""
    out = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an address or network") from None
    return tuple(out)


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    inventory: Path = Field(default_factory=default_inventory)
    var_dir: Path = Field(default_factory=default_var_dir)
    # SQLite under var/ by default; e.g. postgresql+psycopg://noc@db.example/noc in production.
    database_url: str | None = None
    # Retention of bulky history; incidents and state changes are kept for SLA reports.
    rollup_retention_days: int = Field(default=400, ge=1)
    # Events held in memory while the database is unreachable (rollups and poll records;
    # incidents and state changes get ten times this before anything of theirs is dropped).
    write_buffer: int = Field(default=50_000, ge=100)
    concurrency: int = Field(default=64, ge=1, le=1024)
    # The SNMP codec: the toolkit's lean codec, or pysnmp (slower; for comparison).
    snmp_codec: Codec = "lean"
    # Where the API and /metrics are served (Prometheus scrapes /metrics); loopback unless
    # told otherwise.
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=9469, ge=0, le=65535)
    # Reverse proxies in front of the API (addresses or networks, comma-separated): only
    # their X-Forwarded-For is believed, for the per-address throttle of refused tokens.
    trusted_proxies: str = ""
    # The HTTP server against clients that hold connections: a request's headers must arrive
    # within http_header_s; at most http_per_client connections per client address and
    # http_max_connections in all (within the open-files limit, less a reserve).
    http_header_s: float = Field(default=10.0, gt=0.0, le=300.0)
    http_per_client: int = Field(default=64, ge=1, le=10_000)
    http_max_connections: int = Field(default=512, ge=16, le=100_000)

    # Traps and informs (UDP) and syslog (UDP and TCP) from the devices: where `noc serve`
    # listens for them (0: not at all). 162 and 514 need root or CAP_NET_BIND_SERVICE.
    events_host: str = "0.0.0.0"  # noqa: S104 (devices send from the network)
    trap_port: int = Field(default=162, ge=0, le=65535)
    syslog_port: int = Field(default=514, ge=0, le=65535)
    # NetFlow v5/v9 and IPFIX from the uplink's router: where `noc serve` listens for them
    # (0: not at all; on events_host), how many days the 1-minute buckets are kept, and how
    # long after a window the flows are compared with the SNMP counters (above the exporter's
    # active timeout: its long flows arrive that late), over windows of how many seconds.
    flow_port: int = Field(default=2055, ge=0, le=65535)
    flow_days: int = Field(default=62, ge=1)
    flow_settle_s: float = Field(default=120.0, ge=0.0)
    flow_window_s: int = Field(default=300, ge=60, le=3600, multiple_of=60)
    # The event log in the store: at most this many messages, none older than this.
    event_log_max: int = Field(default=200_000, ge=1000)
    event_log_days: int = Field(default=30, ge=1)

    # This collector as a vantage point of the services: the local address its checks go out
    # from (empty: the system's choice), the ADDRESS:PORT whose TCP answer proves its own
    # uplink (empty: none; it always votes), CAs trusted beside the system's (a PEM file),
    # and whether the services are watched at all.
    vantage_source: str = ""
    vantage_canary: str = ""
    service_ca_file: str = ""
    watch_services: bool = True
    # How often `noc serve` compares the devices' neighbour tables with the inventory (its
    # drift check, as `noc discover --check` does); 0 turns it off.
    topology_check_s: float = Field(default=86_400.0, ge=0.0)

    # A fleet of collectors sharing a PostgreSQL store: this collector's name (unique in the
    # fleet; unset means one collector polling everything), its site, and how long its hold
    # on a poll domain lasts without renewal (another collector takes the domain after).
    collector_name: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    collector_site: str = Field(default="dc", pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    lease_s: float = Field(default=30.0, ge=2.0, le=3600.0)
    # A fleet collector whose clock is further than this from the store's writes nothing
    # dated by it and hands its poll domains back (it would date incidents wrongly).
    max_clock_offset_s: float = Field(default=5.0, gt=0.0, le=3600.0)

    def __init__(self, **given: Any) -> None:
        found = _found()
        try:
            super().__init__(**({k: v for k, (v, _) in found.items()} | given))
        except ValidationError as exc:
            raise SettingsError(_describe(exc, found, given)) from None

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        proxy_networks(value)
        return value

    @property
    def proxies(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return proxy_networks(self.trusted_proxies)

    def snmp_client(self) -> ClientFactory:
        return client_factory(self.snmp_codec)

    def db_url(self, create: bool = True) -> str:
        """The store's URL; SQLite under the var folder unless told otherwise. A read-only
        command passes `create=False`, so reading never makes a folder or a store."""
        if self.database_url:
            redact.register(self.database_url)
            return normalise_db_url(self.database_url)
        if create:
            self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.var_dir / 'noc.db').resolve()}"


def _found() -> dict[str, tuple[str, str]]:
    """Each field set outside the code: its value and where it was set."""
    named = {f"{PREFIX}{field.upper()}": field for field in Settings.model_fields}
    found = {
        named[k]: (v, f"in {path}") for k, (v, path) in from_settings_files().items() if k in named
    }
    found.update(
        {
            named[k.upper()]: (v, "in the environment")
            for k, v in os.environ.items()
            if k.upper() in named
        }
    )
    return found


def _describe(
    exc: ValidationError, found: dict[str, tuple[str, str]], given: dict[str, Any]
) -> str:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if field in given:
        return f"{field}={given[field]!r}: {first['msg']}"
    if field not in found:
        return f"{field}: {first['msg']}"
    value, where = found[field]
    shown = redact.scrub(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{PREFIX}{field.upper()}={shown!r} ({where}): {first['msg']}"
