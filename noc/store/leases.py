"""Leases in PostgreSQL: which collector of the fleet polls each poll domain.

Every time is the store's clock (`clock_timestamp()`), so collectors on machines whose clocks
disagree still agree on when a lease ends. One round is one transaction: heartbeat, hand back
what is drained, renew what is held, take free domains with `FOR UPDATE SKIP LOCKED` (two
collectors never take the same one). A domain changing owner gets a new epoch; every write of
its rows checks, in the writing transaction and under a share lock on the lease, that the
writer still holds it under the epoch it polled with: the fence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from noc.polling.domains import FleetError, Moves, pick
from noc.polling.events import Event, event_entity

NOW = "SELECT extract(epoch from clock_timestamp())"


class NameInUse(FleetError):
    """Another live collector runs under this name: two would poll everything twice."""


@dataclass(frozen=True)
class Instance:
    """One run of a collector: a new id at every start, and where it runs."""

    id: str
    host: str
    pid: int


@dataclass(frozen=True)
class Holder:
    """Who has a collector's name in the store, as of the store's `now`."""

    instance: str | None
    site: str
    url: str
    host: str
    pid: int | None
    heartbeat: float
    stopped: bool
    now: float


def name_holder(engine: Engine, me: str) -> Holder | None:
    with Session(engine) as session:
        now = float(session.execute(text(NOW)).scalar_one())
        row = session.execute(
            text(
                "SELECT instance, site, url, host, pid, heartbeat, stopped FROM collectors "
                "WHERE name = :me"
            ),
            {"me": me},
        ).first()
    if row is None:
        return None
    instance, site, url, host, pid, heartbeat, stopped = row
    return Holder(
        instance,
        str(site),
        str(url),
        str(host or ""),
        pid,
        float(heartbeat),
        stopped is not None,
        now,
    )


def claim_name(
    engine: Engine, me: str, instance: Instance, site: str, url: str, lease_s: float
) -> Holder | None:
    """Take collector name `me` for this instance, unless another instance under it was heard
    from within the lease and did not stop: then that one's row (and nothing is changed).
    The caller decides whether the other is really alive (its process on this host)."""
    with Session(engine) as session, session.begin():
        now = float(session.execute(text(NOW)).scalar_one())
        row = session.execute(
            text(
                "SELECT instance, site, url, host, pid, heartbeat, stopped FROM collectors "
                "WHERE name = :me FOR UPDATE"
            ),
            {"me": me},
        ).first()
        if row is not None:
            other, o_site, o_url, o_host, o_pid, beat, stopped = row
            if other not in (None, instance.id) and stopped is None and now - beat < lease_s:
                return Holder(
                    other,
                    str(o_site),
                    str(o_url),
                    str(o_host or ""),
                    o_pid,
                    float(beat),
                    False,
                    now,
                )
        session.execute(
            text(
                "INSERT INTO collectors (name, site, url, started, heartbeat, viewed, instance, "
                "host, pid) VALUES (:me, :site, :url, :now, :now, :now, :inst, :host, :pid) "
                "ON CONFLICT (name) DO UPDATE SET site = excluded.site, url = excluded.url, "
                "started = excluded.started, heartbeat = excluded.heartbeat, "
                "instance = excluded.instance, host = excluded.host, pid = excluded.pid, "
                "stopped = NULL"
            ),
            {
                "me": me,
                "site": site,
                "url": url,
                "now": now,
                "inst": instance.id,
                "host": instance.host,
                "pid": instance.pid,
            },
        )
    return None


def force_name(engine: Engine, me: str, dead: str | None) -> None:
    """The instance `dead` holding name `me` is known dead (its process is gone): its row no
    longer counts as heard from."""
    with Session(engine) as session, session.begin():
        session.execute(
            text(
                "UPDATE collectors SET heartbeat = 0 WHERE name = :me AND "
                "instance IS NOT DISTINCT FROM :dead"
            ),
            {"me": me, "dead": dead},
        )


@dataclass(frozen=True)
class Taken:
    """A domain this collector has just taken, with what its previous owner left."""

    domain: str
    epoch: int
    previous_owner: str | None
    released: bool  # handed back in order (else its lease ran out)
    renewed: float  # the previous owner's last renewal: its last sign of life for the domain
    snapshot: str


@dataclass
class Round:
    now: float
    held: dict[str, int]  # domain -> epoch, confirmed this round
    lost: list[str]  # held before, not any more (another took it, or the epoch moved)
    taken: list[Taken]
    moves: Moves
    owned: dict[str, int] = field(default_factory=dict)  # live collector -> devices held
    # live collector -> does it see the primary site (its view as of this round)
    views: dict[str, bool | None] = field(default_factory=dict)
    free: int = 0  # domains no live collector holds after this round


def fleet_round(
    engine: Engine,
    me: str,
    site: str,
    url: str,
    lease_s: float,
    domains: Mapping[str, int],
    held: Mapping[str, int],
    snapshots: Mapping[str, str],
    release: Mapping[str, str],
    plan: Callable[[int, int, Mapping[str, int]], Moves],
    not_now: frozenset[str] = frozenset(),
    sees_primary: bool | None = None,
    instance: str | None = None,
) -> Round:
    """One round of the fleet for collector `me`, in one transaction. `domains` are every poll
    domain with its number of devices (what load is balanced on), `held` is what it
    believes it holds (domain -> epoch), `snapshots` what to leave in each lease row,
    `release` the drained domains to hand back (with their final snapshot); `not_now` are
    domains it must not take this round; `sees_primary` its own view of the primary site."""
    with Session(engine) as session, session.begin():
        now = float(session.execute(text(NOW)).scalar_one())
        beat = session.execute(
            text(
                "INSERT INTO collectors (name, site, url, started, heartbeat, sees_primary, "
                "viewed, instance) VALUES (:me, :site, :url, :now, :now, :sees, :now, :inst) "
                "ON CONFLICT (name) DO UPDATE SET site = excluded.site, url = excluded.url, "
                "heartbeat = excluded.heartbeat, sees_primary = excluded.sees_primary, "
                "viewed = excluded.viewed, stopped = NULL "
                # The name is this instance's only while no other has claimed it since.
                "WHERE collectors.instance IS NOT DISTINCT FROM excluded.instance "
                "OR excluded.instance IS NULL RETURNING name"
            ),
            {
                "me": me,
                "site": site,
                "url": url,
                "now": now,
                "sees": sees_primary,
                "inst": instance,
            },
        ).first()
        if beat is None:
            holder = session.execute(
                text("SELECT site, url FROM collectors WHERE name = :me"), {"me": me}
            ).first()
            where = f" at site {holder[0]} ({holder[1]})" if holder else ""
            raise NameInUse(
                f"another collector has started under the name {me}{where}; this one stops polling"
            )
        session.execute(
            text(
                "INSERT INTO leases (domain) SELECT unnest(CAST(:domains AS text[])) "
                "ON CONFLICT (domain) DO NOTHING"
            ),
            {"domains": sorted(domains)},
        )
        # This collector's own lease rows, locked in domain order (its writer's fence takes
        # them in the same order): no deadlock between the two.
        session.execute(
            text(
                "SELECT domain FROM leases WHERE owner = :me AND domain = ANY(:mine) "
                "ORDER BY domain FOR UPDATE"
            ),
            {"me": me, "mine": sorted(held)},
        )
        for domain, snap in sorted(release.items()):
            session.execute(
                text(
                    "UPDATE leases SET expires = :now, renewed = :now, released = true, "
                    "snapshot = :snap WHERE domain = :d AND owner = :me AND epoch = :e"
                ),
                {"now": now, "snap": snap, "d": domain, "me": me, "e": held.get(domain, -1)},
            )
        keep = [d for d in held if d not in release]
        renewed = session.execute(
            text(
                "UPDATE leases AS l SET expires = :until, renewed = :now, snapshot = v.snap "
                "FROM unnest(CAST(:d AS text[]), CAST(:e AS bigint[]), CAST(:s AS text[])) "
                "AS v(domain, epoch, snap) "
                "WHERE l.domain = v.domain AND l.owner = :me AND l.epoch = v.epoch "
                "RETURNING l.domain, l.epoch"
            ),
            {
                "d": keep,
                "e": [held[d] for d in keep],
                "s": [snapshots.get(d, "{}") for d in keep],
                "until": now + lease_s,
                "now": now,
                "me": me,
            },
        ).all()
        confirmed = {str(d): int(e) for d, e in renewed}
        lost = sorted(set(keep) - set(confirmed))
        views = {
            str(name): sees
            for name, sees in session.execute(
                text(
                    "SELECT name, sees_primary FROM collectors "
                    "WHERE heartbeat > :since AND stopped IS NULL"
                ),
                {"since": now - lease_s},
            ).all()
        }
        live = set(views)
        owned = dict.fromkeys(live | {me}, 0)
        held_by_any: set[str] = set()  # domains under a live lease, before this round's takes
        for domain, owner in session.execute(
            text("SELECT domain, owner FROM leases WHERE expires > :now AND owner IS NOT NULL"),
            {"now": now},
        ).all():
            held_by_any.add(str(domain))
            if owner in owned and owner != me:
                owned[str(owner)] += domains.get(str(domain), 0)
        owned[me] = sum(domains.get(d, 0) for d in confirmed)
        moves = plan(owned[me], sum(domains.values()), owned)
        taken: list[Taken] = []
        if moves.claim:
            rows = session.execute(
                text(
                    "SELECT domain, owner, epoch, released, renewed, snapshot FROM leases "
                    "WHERE domain = ANY(:domains) AND NOT (domain = ANY(:not_now)) "
                    "AND (owner IS NULL OR expires <= :now "
                    # under this name but not held by this process: a previous run's, dead
                    "OR (owner = :me AND NOT (domain = ANY(:mine)))) "
                    "ORDER BY (owner IS NOT DISTINCT FROM :me) DESC, domain "
                    "FOR UPDATE SKIP LOCKED"
                ),
                {
                    "domains": sorted(domains),
                    "not_now": sorted(not_now),
                    "now": now,
                    "me": me,
                    "mine": sorted(confirmed),
                },
            ).all()
            chosen = set(
                pick(
                    ((str(r[0]), domains.get(str(r[0]), 1)) for r in rows),
                    moves.claim,
                    overshoot=True,
                )
            )
            for domain, owner, epoch, released, last, snap in rows:
                if domain not in chosen:
                    continue
                # A new epoch even from this name's previous run: a paused old instance's
                # writes are fenced out.
                epoch = int(epoch) + 1
                session.execute(
                    text(
                        "UPDATE leases SET owner = :me, epoch = :e, acquired = :now, "
                        "renewed = :now, expires = :until, released = false, "
                        "previous_owner = :prev WHERE domain = :d"
                    ),
                    {
                        "me": me,
                        "e": epoch,
                        "now": now,
                        "until": now + lease_s,
                        "prev": owner,
                        "d": domain,
                    },
                )
                taken.append(
                    Taken(str(domain), epoch, owner, bool(released), float(last), str(snap))
                )
                confirmed[str(domain)] = epoch
        owned[me] = sum(domains.get(d, 0) for d in confirmed)
        free = sum(1 for d in domains if d not in held_by_any and d not in confirmed)
    return Round(now, confirmed, lost, taken, moves, owned, views, free)


def leave(
    engine: Engine,
    me: str,
    held: Mapping[str, int],
    snapshots: Mapping[str, str],
    instance: str | None = None,
) -> None:
    """A clean stop: hand back every domain at once (the others take them on their next round)
    and stop counting as alive."""
    with Session(engine) as session, session.begin():
        for domain, epoch in sorted(held.items()):
            session.execute(
                text(
                    "UPDATE leases SET expires = extract(epoch from clock_timestamp()), "
                    "renewed = extract(epoch from clock_timestamp()), released = true, "
                    "snapshot = :snap WHERE domain = :d AND owner = :me AND epoch = :e"
                ),
                {"snap": snapshots.get(domain, "{}"), "d": domain, "me": me, "e": epoch},
            )
        session.execute(
            text(
                "UPDATE collectors SET stopped = extract(epoch from clock_timestamp()) "
                "WHERE name = :me AND (CAST(:inst AS text) IS NULL OR instance = :inst)"
            ),
            {"me": me, "inst": instance},
        )


class LeaseFence:
    """The writer's check that what it writes is still this collector's to write."""

    def __init__(self, me: str, domains: Mapping[str, str]) -> None:
        self.me = me
        self.domains = dict(domains)  # entity -> domain
        self.epochs: dict[str, int] = {}  # domain -> epoch held (kept by the fleet round)

    def admit(self, session: Session, events: Sequence[Event]) -> tuple[list[Event], list[Event]]:
        """(events to write, events fenced out), deciding under a share lock on the leases, so
        no takeover can commit between the check and the write."""
        wanted = {self.domains.get(event_entity(e)) for e in events} - {None}
        epochs = dict(self.epochs)
        rows = session.execute(
            text(
                "SELECT domain, epoch FROM leases WHERE owner = :me AND domain = ANY(:d) "
                "ORDER BY domain FOR SHARE"
            ),
            {"me": self.me, "d": sorted(d for d in wanted if d is not None)},
        ).all()
        ours = {str(d) for d, e in rows if epochs.get(str(d)) == int(e)}
        keep: list[Event] = []
        fenced: list[Event] = []
        for event in events:
            domain = self.domains.get(event_entity(event))
            (keep if domain is None or domain in ours else fenced).append(event)
        return keep, fenced


@dataclass(frozen=True)
class CollectorView:
    name: str
    site: str
    url: str
    heartbeat_age_s: float
    alive: bool
    domains: int
    stopped: bool  # stopped cleanly (its domains handed back at once)


@dataclass(frozen=True)
class LeaseView:
    domain: str
    owner: str | None
    epoch: int
    expires_in_s: float
    previous_owner: str | None

    @property
    def in_handover(self) -> bool:
        """No live owner polls it now: its lease ran out or was handed back, not yet taken."""
        return self.owner is None or self.expires_in_s <= 0


def fleet_view(engine: Engine, lease_s: float) -> tuple[list[CollectorView], list[LeaseView]]:
    """The fleet as the store sees it now."""
    with Session(engine) as session:
        now = float(session.execute(text(NOW)).scalar_one())
        leases = [
            LeaseView(str(d), o, int(e), float(x) - now, p)
            for d, o, e, x, p in session.execute(
                text(
                    "SELECT domain, owner, epoch, expires, previous_owner "
                    "FROM leases ORDER BY domain"
                )
            ).all()
        ]
        collectors = session.execute(
            text("SELECT name, site, url, heartbeat, stopped FROM collectors ORDER BY name")
        ).all()
    count: dict[str, int] = {}
    for lease in leases:
        if lease.owner is not None and not lease.in_handover:
            count[lease.owner] = count.get(lease.owner, 0) + 1
    views = [
        CollectorView(
            str(n),
            str(s),
            str(u),
            now - float(h),
            stopped is None and now - float(h) < lease_s,
            count.get(str(n), 0),
            stopped is not None,
        )
        for n, s, u, h, stopped in collectors
    ]
    return views, leases
