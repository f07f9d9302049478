"""The API's request and response bodies. Text that reaches the store, the audit or a device
has no control characters (NUL above all)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from noc.diag.runner import ACTIONS
from noc.store.tokens import NAME_MAX, Role


class SiteOut(BaseModel):
    name: str
    kind: str
    title: str
    kecamatan: str
    lat: float
    lon: float


class InterfaceOut(BaseModel):
    name: str
    speed_bps: int
    description: str
    oper: str | None = None
    in_bps: float | None = None
    out_bps: float | None = None
    utilisation: float | None = None
    errors_per_s: float | None = None
    no_rate: str | None = None


class DeviceOut(BaseModel):
    name: str
    site: str
    kind: str
    role: str
    tier: str
    address: str
    port: int
    parent: str | None
    ssh: bool
    interfaces: int


class LinkOut(BaseModel):
    name: str
    medium: str
    tier: str
    a_device: str
    a_interface: str
    b_device: str | None
    b_interface: str | None
    provider: str | None
    capacity_bps: int


class StatusOut(BaseModel):
    entity: str
    kind: Literal["device", "link"]
    state: str
    root_cause: str | None
    reason: str | None
    since: float | None
    source: Literal["live", "store"]


class IncidentOut(BaseModel):
    id: str
    entity: str
    state: str
    root_cause: str
    reason: str | None
    started: float
    ended: float | None
    affected: list[str]
    flaps: int


class PollStatOut(BaseModel):
    device: str
    at: float
    duration_s: float
    ok: bool
    reason: str | None
    requests: int
    timeouts: int
    varbinds: int
    last_success: float | None
    polls_total: int
    failures_total: int


def _printable(value: str) -> str:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("control characters are not allowed")
    return value


# Text that reaches the store, the audit or a device: no control characters (NUL above all).
Text = Annotated[str, AfterValidator(_printable)]
Name = Annotated[Text, Field(max_length=64)]


class WindowIn(BaseModel):
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    devices: list[Name] = []
    sites: list[Name] = []
    start: datetime
    end: datetime


class WindowOut(BaseModel):
    id: str
    name: str
    devices: list[str]
    sites: list[str]
    start: float
    end: float


class DiagIn(BaseModel):
    action: Annotated[Text, Field(description=f"one of {', '.join(ACTIONS)}", max_length=32)]
    device: Name
    objects: Annotated[list[Annotated[Text, Field(max_length=200)]], Field(max_length=20)] = []
    command: Annotated[Text | None, Field(max_length=64)] = None
    window_s: Annotated[float, Field(ge=0.5, le=300)] = 5.0


class AckIn(BaseModel):
    group: Annotated[Text, Field(min_length=1, max_length=200, description="e.g. bts-05")]
    for_s: Annotated[int, Field(ge=60, le=7 * 86400, description="seconds")] = 7200
    comment: Annotated[Text, Field(min_length=1, max_length=500)]


class TokenIn(BaseModel):
    name: Annotated[Text, Field(min_length=1, max_length=NAME_MAX)]
    role: Role
    expires_days: Annotated[
        float | None, Field(gt=0, le=3660, description="the token stops working after this")
    ] = None


class TokenCreated(BaseModel):
    id: str
    name: str
    role: Role
    expires: float | None = None
    token: Annotated[str, Field(description="shown once; only its hash is kept")]


class SlaFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"
    PDF = "pdf"
