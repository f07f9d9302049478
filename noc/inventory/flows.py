"""What the inventory says about flows (`flows:`): which device exports the uplink's flows
(by default the uplink link's own router and interface), the addresses it may send from, and
the applications named by port and by remote network beside the built-in ones. The sites'
`subnets:` map inside addresses to the SKPD or kelurahan that owns them.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

NAME = r"^[a-z0-9][a-z0-9-]*$"
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Application(_Strict):
    """Traffic named by its server's port (TCP or UDP) or its remote network."""

    name: Annotated[str, Field(pattern=NAME, max_length=32)]
    ports: list[Annotated[str, Field(pattern=r"^[0-9]{1,5}(-[0-9]{1,5})?$")]] = []
    networks: list[IpNetwork] = []

    @field_validator("ports")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for text in value:
            low, _, high = text.partition("-")
            if not 1 <= int(low) <= int(high or low) <= 65535:
                raise ValueError(f"port range {text!r} is not within 1-65535, low to high")
        return value

    def port_numbers(self) -> list[int]:
        out: list[int] = []
        for text in self.ports:
            low, _, high = text.partition("-")
            out += range(int(low), int(high or low) + 1)
        return out


class Flows(_Strict):
    exporter: Annotated[str, Field(pattern=NAME)] | None = None  # default: the uplink's router
    interface: str | None = None  # default: the uplink link's interface on it
    sources: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []  # beside its address
    applications: list[Application] = []
