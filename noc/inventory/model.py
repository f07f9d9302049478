"""The inventory's data model: what the Kota Bogor network is made of.

Every model rejects unknown keys, so a typo in inventory.yaml is an error, not a silent default.
Cross-references (parents, link endpoints, profiles) are checked in `checks.py`, after each item
has been validated on its own, so that all errors can be reported in one pass.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, time
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from noc.inventory.flows import Flows, IpNetwork
from noc.inventory.runbook import Runbook
from noc.inventory.services import Service


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(StrEnum):
    UPLINK = "uplink"
    BACKBONE = "backbone"
    ACCESS = "access"


class SiteKind(StrEnum):
    DATACENTER = "datacenter"
    DR = "dr"
    BTS = "bts"
    FIBER_POINT = "fiber_point"
    OFFICE = "office"


class DeviceKind(StrEnum):
    """Vendor platform: selects the default polling profile and the netmiko device_type."""

    MIKROTIK_ROUTEROS = "mikrotik_routeros"
    UBIQUITI_AIROS = "ubiquiti_airos"
    CISCO_IOS = "cisco_ios"
    LINUX = "linux"


# Default polling profile (a file in inventory/profiles/) per device kind.
DEFAULT_PROFILE: dict[DeviceKind, str] = {
    DeviceKind.MIKROTIK_ROUTEROS: "mikrotik_routeros",
    DeviceKind.UBIQUITI_AIROS: "ubiquiti_airos",
    DeviceKind.CISCO_IOS: "cisco_ios",
    DeviceKind.LINUX: "net_snmp_linux",
}

# netmiko device_type per kind; airOS is a BusyBox Linux underneath.
NETMIKO_DEVICE_TYPE: dict[DeviceKind, str] = {
    DeviceKind.MIKROTIK_ROUTEROS: "mikrotik_routeros",
    DeviceKind.UBIQUITI_AIROS: "linux",
    DeviceKind.CISCO_IOS: "cisco_ios",
    DeviceKind.LINUX: "linux",
}


class Role(StrEnum):
    CORE = "core"
    BTS = "bts"
    FIBER = "fiber"
    SKPD = "skpd"
    KELURAHAN = "kelurahan"
    DR = "dr"
    SERVER = "server"


class Medium(StrEnum):
    FIBER = "fiber"
    RADIO = "radio"
    ISP = "isp"


class SecretRef(Strict):
    """A secret read from an environment variable.

    `lab_default` is used only when the variable is unset and every device using it is on
    loopback, i.e. the simulated network."""

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secret(cls, data: object) -> object:
        if isinstance(data, str | int):
            raise ValueError(
                "inline secret values are not allowed: write {env: VARIABLE_NAME} "
                "and set the variable in the collector's environment"
            )
        return data

    env: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]
    lab_default: str | None = None


class SnmpV2c(Strict):
    version: Literal["1", "2c"]
    community: SecretRef


class SnmpV3(Strict):
    version: Literal["3"]
    user: Annotated[str, Field(min_length=1)]
    auth_protocol: Literal["sha", "sha224", "sha256", "sha384", "sha512"]
    auth_key: SecretRef
    priv_protocol: Literal["aes128", "aes192", "aes256"] | None = None
    priv_key: SecretRef | None = None

    @model_validator(mode="after")
    def _priv_pair(self) -> SnmpV3:
        if (self.priv_protocol is None) != (self.priv_key is None):
            raise ValueError("priv_protocol and priv_key must be given together")
        return self


Credential = Annotated[SnmpV2c | SnmpV3, Field(discriminator="version")]


class SshCredential(Strict):
    """How `noc diag ssh` logs in: a password or a private key file, both named by
    environment variables, never written here or given on the command line."""

    username: Annotated[str, Field(min_length=1)]
    password: SecretRef | None = None
    key_file: SecretRef | None = None

    @model_validator(mode="after")
    def _one_method(self) -> SshCredential:
        if self.password is None and self.key_file is None:
            raise ValueError("give password or key_file (or both)")
        return self


class SshAccess(Strict):
    credentials: str
    port: Annotated[int, Field(ge=1, le=65535)] = 22


class TierPolicy(Strict):
    poll_interval_s: Annotated[int, Field(ge=1, le=3600)] = 60
    sla_target: Annotated[float, Field(gt=0, lt=1)]
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 2.0
    retries: Annotated[int, Field(ge=0, le=5)] = 1
    down_after: Annotated[int, Field(ge=1, le=20)] = 2
    up_after: Annotated[int, Field(ge=1, le=20)] = 2
    # How often `noc serve` backs up the configuration of the tier's devices with `ssh:`.
    backup_interval_s: Annotated[int, Field(ge=300, le=7 * 86_400)] = 86_400


class Kecamatan(Strict):
    name: Annotated[str, Field(min_length=1)]


# What the store can hold (see noc/store/models.py): names are keys in columns of fixed width,
# speeds are 64-bit signed integers, and PostgreSQL text cannot hold NUL.
MAX_NAME = 64
MAX_INTERFACE_NAME = 128
MAX_BPS = 2**63 - 1
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=MAX_NAME)]
Text = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=500)]
Bps = Annotated[int, Field(gt=0, le=MAX_BPS)]


class Site(Strict):
    name: Name
    kind: SiteKind
    title: Text
    kecamatan: Text
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    subnets: list[IpNetwork] = []  # the inside addresses its users have (flows are told by them)


class Interface(Strict):
    name: Annotated[
        str, Field(min_length=1, max_length=MAX_INTERFACE_NAME, pattern=r"^[^\x00-\x1f\x7f]+$")
    ]
    speed_bps: Bps
    description: Text = ""


class Device(Strict):
    name: Name
    site: str
    kind: DeviceKind
    role: Role
    tier: Tier
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: Annotated[int, Field(ge=1, le=65535)] = 161
    credentials: str
    profile: str | None = None
    parent: str | None = None
    ssh: SshAccess | None = None
    # Other addresses the device's traps and syslog may come from (a loopback, a management
    # VLAN, the far side of a NAT): matched after its own address, agent address and name.
    aliases: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    interfaces: Annotated[list[Interface], Field(min_length=1)]

    @property
    def profile_name(self) -> str:
        return self.profile or DEFAULT_PROFILE[self.kind]

    @property
    def netmiko_device_type(self) -> str:
        return NETMIKO_DEVICE_TYPE[self.kind]

    def interface(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name == name), None)


class Endpoint(Strict):
    device: str
    interface: str


class Link(Strict):
    name: Name
    medium: Medium
    tier: Tier
    a: Endpoint
    # The far end; absent for the ISP uplink, whose far end is the provider's.
    b: Endpoint | None = None
    provider: Text | None = None
    capacity_bps: Bps

    @model_validator(mode="after")
    def _far_end(self) -> Link:
        if self.b is None and self.medium is not Medium.ISP:
            raise ValueError("b is required unless medium is isp")
        return self

    def endpoints(self) -> list[Endpoint]:
        return [self.a] if self.b is None else [self.a, self.b]


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class WeeklySchedule(Strict):
    days: Annotated[list[Weekday], Field(min_length=1)]
    start: time
    duration_min: Annotated[int, Field(gt=0, le=24 * 60)]


class MaintenanceWindow(Strict):
    name: Annotated[str, Field(min_length=1)]
    devices: list[str] = []
    sites: list[str] = []
    # Either a one-off window (start/end, with a UTC offset) or a weekly one.
    start: datetime | None = None
    end: datetime | None = None
    weekly: WeeklySchedule | None = None

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-12-06T22:00:00+07:00")
        return value

    @model_validator(mode="after")
    def _shape(self) -> MaintenanceWindow:
        if not self.devices and not self.sites:
            raise ValueError("a maintenance window needs devices or sites")
        one_off = self.start is not None or self.end is not None
        if one_off == (self.weekly is not None):
            raise ValueError("give either start and end, or weekly")
        if one_off:
            if self.start is None or self.end is None:
                raise ValueError("start and end must be given together")
            if self.end <= self.start:
                raise ValueError("end must be after start")
        return self


class DrService(Strict):
    """A protected service: where it answers at the primary site and at the DR site."""

    name: Annotated[str, Field(min_length=1)]
    primary_url: Annotated[str, Field(pattern=r"^https?://")]
    dr_url: Annotated[str, Field(pattern=r"^https?://")]
    rpo_s: Annotated[int, Field(gt=0)] = 300
    rto_s: Annotated[int, Field(gt=0)] = 3600


class DrDatabase(Strict):
    """A PostgreSQL primary and its streaming replica at the DR site (connection URLs are
    secrets: they may carry passwords)."""

    name: Annotated[str, Field(min_length=1)]
    primary: SecretRef
    replica: SecretRef
    rpo_s: Annotated[int, Field(gt=0)] = 60


class DrFileStore(Strict):
    """Files copied to the DR site; `marker` is a file the sync or backup job touches."""

    name: Annotated[str, Field(min_length=1)]
    marker: str
    rpo_s: Annotated[int, Field(gt=0)] = 86400


class DrFailover(Strict):
    hold_s: Annotated[int, Field(ge=0)] = 300
    quorum: Annotated[int, Field(ge=1)] = 2


class DrConfig(Strict):
    """The DR pair: what must be true for the DR site to take over."""

    primary_site: str
    dr_site: str
    links: list[str] = []
    services: list[DrService] = []
    databases: list[DrDatabase] = []
    file_stores: list[DrFileStore] = []
    probe_url: Annotated[str | None, Field(pattern=r"^https?://")] = None
    check_interval_s: Annotated[int, Field(ge=5, le=3600)] = 60
    cpu_max: Annotated[float, Field(gt=0, le=1)] = 0.85
    storage_max: Annotated[float, Field(gt=0, le=1)] = 0.9
    failover: DrFailover = DrFailover()
    runbook: Runbook | None = None


class TelegramReceiver(Strict):
    """A Telegram group: the bot's token is a secret from the environment."""

    chat_id: int
    bot_token: SecretRef
    api_url: Annotated[str, Field(pattern=r"^https?://")] = "https://api.telegram.org"


class EmailReceiver(Strict):
    to: Annotated[list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]], Field(min_length=1)]
    sender: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    smarthost: Annotated[str, Field(pattern=r"^[^:\s]+:\d+$")]  # host:port
    username: str | None = None
    password: SecretRef | None = None
    require_tls: bool = True


class GatewayReceiver(Strict):
    """A WhatsApp (or other) HTTP gateway: noc serve relays to it, at most `per_minute`
    messages a minute to the chat, folding the rest into a summary."""

    gateway_url: Annotated[str, Field(pattern=r"^https?://")]
    token: SecretRef
    chat: Annotated[str, Field(min_length=1, max_length=64)]
    per_minute: Annotated[int, Field(ge=2, le=600)] = 20
    # The longest message the gateway takes (WhatsApp gateways: 4,096 characters).
    max_chars: Annotated[int, Field(ge=200, le=65_536)] = 4096


class AlertReceiver(Strict):
    """Who is told, in which language, about what: tiers and kecamatan narrow it (empty: all);
    `office_hours_only` keeps e-mail to managers out of nights and weekends."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    language: Literal["id", "en"] = "id"
    tiers: list[Tier] = []
    kecamatan: list[str] = []
    office_hours_only: bool = False
    telegram: TelegramReceiver | None = None
    email: EmailReceiver | None = None
    gateway: GatewayReceiver | None = None


class Alerting(Strict):
    """Where Alertmanager sends what Prometheus fires (`noc alerts config` makes its file)."""

    noc_url: Annotated[str, Field(pattern=r"^https?://")] = "http://127.0.0.1:9469"
    alertmanager_url: Annotated[str, Field(pattern=r"^https?://")] = "http://127.0.0.1:9093"
    # Alertmanager posts every notification to noc serve with this shared secret.
    webhook_secret: SecretRef
    office_hours: Annotated[str, Field(pattern=r"^\d\d:\d\d-\d\d:\d\d$")] = "08:00-16:00"
    receivers: Annotated[list[AlertReceiver], Field(min_length=1)]


class Network(Strict):
    name: str
    timezone: str = "Asia/Jakarta"
    collector_site: str

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Inventory(Strict):
    """The whole network, validated and cross-checked."""

    version: Literal[1]
    network: Network
    tiers: dict[Tier, TierPolicy]
    credentials: dict[str, Credential]
    ssh_credentials: dict[str, SshCredential] = {}
    kecamatan: list[Kecamatan]
    sites: list[Site]
    devices: list[Device]
    links: list[Link]
    maintenance: list[MaintenanceWindow] = []
    dr: DrConfig | None = None
    alerting: Alerting | None = None
    services: list[Service] = []
    flows: Flows = Flows()

    @cached_property
    def devices_by_name(self) -> dict[str, Device]:
        return {d.name: d for d in self.devices}

    @cached_property
    def sites_by_name(self) -> dict[str, Site]:
        return {s.name: s for s in self.sites}

    def device(self, name: str) -> Device:
        return self.devices_by_name[name]

    @cached_property
    def fastest_poll_s(self) -> float:
        """The shortest poll interval of any tier, in seconds."""
        return float(min(p.poll_interval_s for p in self.tiers.values()))

    @cached_property
    def uplink(self) -> Link | None:
        """The internet uplink: the ISP link (its contract is the link's `capacity_bps`)."""
        return next((ln for ln in self.links if ln.medium is Medium.ISP), None)

    def site(self, name: str) -> Site:
        return self.sites_by_name[name]

    def links_of(self, device: str) -> list[Link]:
        return [ln for ln in self.links if any(e.device == device for e in ln.endpoints())]
