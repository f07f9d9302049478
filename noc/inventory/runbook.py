"""Runbook steps the DR failover and drill run: a command (no shell), an HTTP webhook,
promoting the PostgreSQL replica, or configuration commands on a router over SSH."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Annotated[str, Field(min_length=1)]
    timeout_s: Annotated[float, Field(gt=0, le=3600)] = 60


class ShellStep(_Step):
    kind: Literal["shell"]
    argv: Annotated[list[str], Field(min_length=1)]  # run as is, never through a shell


class HttpStep(_Step):
    kind: Literal["http"]
    url: Annotated[str, Field(pattern=r"^https?://")]
    method: Literal["POST", "PUT", "GET"] = "POST"


class PgPromoteStep(_Step):
    kind: Literal["pg_promote"]
    database: str  # a name from dr.databases


class NetmikoStep(_Step):
    kind: Literal["netmiko"]
    device: str  # with `ssh:` access in the inventory
    commands: Annotated[list[str], Field(min_length=1)]


Step = Annotated[ShellStep | HttpStep | PgPromoteStep | NetmikoStep, Field(discriminator="kind")]


class Runbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fence: list[Step] = []  # make sure the old primary takes no more writes; first, always
    steps: list[Step] = []
    induce: list[Step] = []  # drills only: how the lab's primary is made to fail
