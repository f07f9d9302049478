"""The schema. Times are UTC epoch seconds (float), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DeviceRow(Base):
    __tablename__ = "devices"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    parent: Mapped[str | None] = mapped_column(String(64))


class InterfaceRow(Base):
    __tablename__ = "interfaces"
    device: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    speed_bps: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")


class LinkRow(Base):
    __tablename__ = "links"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    medium: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16))
    a_device: Mapped[str] = mapped_column(String(64))
    a_interface: Mapped[str] = mapped_column(String(128))
    b_device: Mapped[str | None] = mapped_column(String(64))
    b_interface: Mapped[str | None] = mapped_column(String(128))
    capacity_bps: Mapped[int] = mapped_column(BigInteger)


class StateChangeRow(Base):
    __tablename__ = "state_changes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity: Mapped[str] = mapped_column(String(80))
    at: Mapped[float] = mapped_column(Float)
    old: Mapped[str] = mapped_column(String(16))
    new: Mapped[str] = mapped_column(String(16))
    root_cause: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_state_changes_entity_at", "entity", "at"),)


class IncidentRow(Base):
    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(16))
    root_cause: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    started: Mapped[float] = mapped_column(Float)
    ended: Mapped[float | None] = mapped_column(Float)
    affected: Mapped[str] = mapped_column(Text, default="")  # comma-separated entities
    flaps: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_incidents_started", "started"),)


class RollupRow(Base):
    __tablename__ = "rollups"
    # A period of one kind (a day closed, the old rows pruned) from the first index alone
    # (0009); one link's period (a month's report) from the second (0018).
    __table_args__ = (
        Index("ix_rollups_kind_time", "kind", "bucket_start", "name", "in_avg_bps", "out_avg_bps"),
        Index(
            "ix_rollups_kind_name_time", "kind", "name", "bucket_start", "in_avg_bps", "out_avg_bps"
        ),
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    bucket_start: Mapped[float] = mapped_column(Float, primary_key=True)
    in_avg_bps: Mapped[float] = mapped_column(Float)
    in_max_bps: Mapped[float] = mapped_column(Float)
    out_avg_bps: Mapped[float] = mapped_column(Float)
    out_max_bps: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer)


class PollStatRow(Base):
    """The latest poll of each device, with running totals."""

    __tablename__ = "poll_stats"
    device: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    ok: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    requests: Mapped[int] = mapped_column(Integer)
    timeouts: Mapped[int] = mapped_column(Integer)
    varbinds: Mapped[int] = mapped_column(Integer)
    last_success: Mapped[float | None] = mapped_column(Float)
    polls_total: Mapped[int] = mapped_column(BigInteger, default=0)
    failures_total: Mapped[int] = mapped_column(BigInteger, default=0)
    collector: Mapped[str | None] = mapped_column(String(64))  # which collector polled it


class CollectorRow(Base):
    """A collector of the fleet: its site, where it serves, its last sign of life (the store's
    clock) and its own view of the primary site, for the DR failover quorum."""

    __tablename__ = "collectors"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(200), default="")
    started: Mapped[float] = mapped_column(Float)
    heartbeat: Mapped[float] = mapped_column(Float)
    # This collector as a vantage point: does it see the primary site (None: not asked)?
    sees_primary: Mapped[bool | None] = mapped_column(Boolean)
    viewed: Mapped[float] = mapped_column(Float, default=0.0)
    stopped: Mapped[float | None] = mapped_column(Float)  # a clean stop (else None)
    # The running instance the name belongs to (a new id at every start), where it runs.
    instance: Mapped[str | None] = mapped_column(String(36))
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int | None] = mapped_column(Integer)


class LeaseRow(Base):
    """Who polls a poll domain, until when, under which epoch (bumped at every change of
    owner; every write of the domain's rows is fenced by it). `snapshot` is the owner's
    hysteresis and verdicts for the domain, as of its last renewal, for whoever takes over."""

    __tablename__ = "leases"
    domain: Mapped[str] = mapped_column(String(80), primary_key=True)  # site: + a site name
    owner: Mapped[str | None] = mapped_column(String(64))
    epoch: Mapped[int] = mapped_column(BigInteger, default=0)
    acquired: Mapped[float] = mapped_column(Float, default=0.0)
    renewed: Mapped[float] = mapped_column(Float, default=0.0)
    expires: Mapped[float] = mapped_column(Float, default=0.0)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    previous_owner: Mapped[str | None] = mapped_column(String(64))
    snapshot: Mapped[str] = mapped_column(Text, default="{}")


class MaintenanceRow(Base):
    """A maintenance window added at run time (`noc maintenance add`), beside the inventory's."""

    __tablename__ = "maintenance_windows"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    devices: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    sites: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    created: Mapped[float] = mapped_column(Float)


class AuditRow(Base):
    """One diagnostic run: who asked, what, on which device, and what came of it."""

    __tablename__ = "audit_log"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))
    arguments: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_audit_log_at", "at"),)


class ApiTokenRow(Base):
    """An API token: only the SHA-256 of its secret part is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[float] = mapped_column(Float)
    last_used: Mapped[float | None] = mapped_column(Float)
    revoked: Mapped[float | None] = mapped_column(Float)
    expires: Mapped[float | None] = mapped_column(Float)


class DrCheckRow(Base):
    """One run of the DR readiness checks: the verdict, its reason and every result."""

    __tablename__ = "dr_checks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    readiness: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    results: Mapped[str] = mapped_column(Text)  # JSON
    __table_args__ = (Index("ix_dr_checks_at", "at"),)


class DrDrillRow(Base):
    """One DR drill: what was measured, and every step with its outcome."""

    __tablename__ = "dr_drills"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    ok: Mapped[bool] = mapped_column(Boolean)
    rto_s: Mapped[float | None] = mapped_column(Float)
    rpo_rows: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)  # JSON of the whole result


class AlertNotificationRow(Base):
    """One notification Alertmanager sent (its webhook copy): which group, firing or resolved,
    and the alerts in it (JSON), so reports can count what each site raised."""

    __tablename__ = "alert_notifications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received: Mapped[float] = mapped_column(Float)
    receiver: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    group_name: Mapped[str] = mapped_column(String(200))
    firing: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    alerts: Mapped[str] = mapped_column(Text)
    # sha256 of the group key, status and alerts: a retried notification is stored once
    digest: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        Index("ix_alert_notifications_received", "received"),
        Index("ux_alert_notifications_digest", "digest", unique=True),
    )


class RelayMessageRow(Base):
    """A message for a gateway receiver's chat: waiting (`sent` None) until the gateway has
    taken it, alone or in a summary; retried with backoff from `next_try`."""

    __tablename__ = "relay_messages"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    receiver: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try: Mapped[float] = mapped_column(Float)
    sent: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_relay_messages_waiting", "sent", "next_try"),)


class DeviceEventRow(Base):
    """A trap or syslog line, as it came (secrets never: communities are not kept), with the
    device it was matched to, or none (an unknown source, listed by `noc events --unknown`).
    Bounded by count and age (`noc.events.log`)."""

    __tablename__ = "device_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    device: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))  # the sender's address
    kind: Mapped[str] = mapped_column(String(16))  # trap, inform, syslog
    meaning: Mapped[str | None] = mapped_column(String(32))  # link_down, reboot, ... or none
    text: Mapped[str] = mapped_column(Text)
    __table_args__ = (
        Index("ix_device_events_device_at", "device", "at"),
        Index("ix_device_events_at", "at"),
    )


class ServiceVoteRow(Base):
    """A vantage point's last vote on a service: up or down (with the first failing check's
    reason), or abstaining (its own uplink is down); `checks` is every check's result as JSON
    (label, ok, reason, seconds, certificates with their days)."""

    __tablename__ = "service_votes"
    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    vantage: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    ok: Mapped[bool] = mapped_column(Boolean)
    abstain: Mapped[bool] = mapped_column(Boolean)
    external: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    checks: Mapped[str] = mapped_column(Text)


class FlowMinuteRow(Base):
    """The uplink's traffic in one minute for one site, application and direction (`in`:
    toward the city), summed from flow records; raw flows are not kept."""

    __tablename__ = "flow_minutes"
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Unix s, minute start
    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    app: Mapped[str] = mapped_column(String(32), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), primary_key=True)
    octets: Mapped[int] = mapped_column(BigInteger)
    packets: Mapped[int] = mapped_column(BigInteger)
    flows: Mapped[int] = mapped_column(BigInteger)


class DailyRollupRow(Base):
    """A link's day (from the network's midnight), made once from its 5-minute rollups when
    the day has closed: what a year's report reads instead of 288 rows a day."""

    __tablename__ = "daily_rollups"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    day_start: Mapped[float] = mapped_column(Float, primary_key=True)
    samples: Mapped[int] = mapped_column(Integer)  # 5-minute buckets with data
    in_avg_bps: Mapped[float | None] = mapped_column(Float)
    out_avg_bps: Mapped[float | None] = mapped_column(Float)
    peak_bps: Mapped[float | None] = mapped_column(Float)
    p95_in_bps: Mapped[float | None] = mapped_column(Float)
    p95_out_bps: Mapped[float | None] = mapped_column(Float)
    busy_buckets: Mapped[int] = mapped_column(Integer)  # above 80% of the contract
