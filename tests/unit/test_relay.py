"""The gateway relay's rate limit: a burst of 100 notifications to one chat gives at most N
messages a minute, and the summary names every one it folded."""

from __future__ import annotations

import itertools

import pytest

from noc.alerts.history import Notification
from noc.alerts.relay import Outgoing, Queued, RelayPolicy, plain_text, plan

POLICY = RelayPolicy(per_minute=20, quiet_s=3, max_wait_s=60, max_chars=4096)


def queued(n: int, at: float, chat: str = "wa-noc") -> Queued:
    return Queued(f"id-{n:03d}", chat, f"GANGGUAN kel-{n:03d}", f"text {n}", at)


class Chat:
    """The relay's loop against one chat, driven by `now`: what waits, what went and when."""

    def __init__(self, policy: RelayPolicy = POLICY) -> None:
        self.policy = policy
        self.waiting: list[Queued] = []
        self.sent: list[tuple[float, Outgoing]] = []

    def tick(self, now: float) -> list[Outgoing]:
        out = plan(self.waiting, [t for t, _ in self.sent], now, self.policy)
        gone = {i for o in out for i in o.ids}
        self.waiting = [q for q in self.waiting if q.id not in gone]
        self.sent += [(now, o) for o in out]
        return out


def test_a_burst_of_100_is_cut_to_the_limit_and_nothing_is_lost() -> None:
    chat = Chat()
    chat.waiting = [queued(n, 1000 + n * 0.01) for n in range(100)]
    first = chat.tick(1001)
    assert len(first) == 19  # one slot kept for the summary
    assert chat.tick(1002) == []  # still busy: the summary waits for quiet
    summary = chat.tick(1005)
    assert len(summary) == 1 and "digabung" in summary[0].text
    assert set(summary[0].folded) == {f"GANGGUAN kel-{n:03d}" for n in range(19, 100)}
    assert chat.waiting == []
    # The next minute: room again; what comes in the same minute waits for it.
    chat.waiting = [queued(200, 1010)]
    assert chat.tick(1020) == []
    assert [o.ids for o in chat.tick(1062)] == [("id-200",)]
    # Other chats are not held back by this one.
    assert plan([queued(1, 1010, "wa-managers")], [], 1010, POLICY)[0].text == "text 1"


def test_356_held_messages_are_split_to_the_gateway_limit_and_all_delivered() -> None:
    chat = Chat(RelayPolicy(per_minute=20, max_chars=4096))
    chat.waiting = [
        Queued(f"i{n}", "wa", f"GANGGUAN kel-{n:03d} di Bogor Selatan", "x", 0.0)
        for n in range(356)
    ]
    out: list[Outgoing] = []
    t = 10.0
    while chat.waiting and t < 600:
        out += chat.tick(t)
        t += 1
    assert chat.waiting == []
    assert all(len(o.text) <= 4096 for o in out)
    carried = [i for o in out for i in o.ids]
    assert sorted(carried) == sorted(f"i{n}" for n in range(356))  # each once
    per_minute = [
        sum(1 for when, _ in chat.sent if start <= when < start + 60) for start in range(0, 600, 60)
    ]
    assert max(per_minute) <= 20


def test_a_steady_drip_gets_a_summary_at_least_once_a_minute() -> None:
    """One notification every 2 s for five minutes, never quiet for 3 s: the summaries come
    at least a minute apart at most (before: nothing for 114 s, until the drip stopped)."""
    chat = Chat(RelayPolicy(per_minute=5, quiet_s=3, max_wait_s=60))
    deliveries: list[float] = []
    for step in range(300):
        now = float(step)
        if step % 2 == 0:
            chat.waiting.append(queued(step, now))
        if chat.tick(now):
            deliveries.append(now)
    gaps = [b - a for a, b in itertools.pairwise(deliveries)]
    assert max(gaps) <= 61, gaps
    assert len(chat.waiting) < 35  # what waits is at most a minute's worth


def test_a_message_longer_than_the_limit_is_cut_and_the_limit_leaves_room() -> None:
    long = Queued("a", "wa", "s", "x" * 5000, 0.0)
    (only,) = plan([long], [], 1.0, POLICY)
    assert len(only.text) == 4096 and only.text.endswith("…")
    with pytest.raises(ValueError, match="room"):
        RelayPolicy(per_minute=1)


def test_plain_text_names_the_root_cause_and_what_is_behind_it() -> None:
    subject, text = plain_text(
        Notification.model_validate(
            {
                "status": "firing",
                "receiver": "wa",
                "groupLabels": {"group": "bts-05"},
                "alerts": [
                    {
                        "status": "firing",
                        "labels": {"alertname": "NocBtsDown", "device": "bts-05"},
                        "annotations": {"summary": "BTS bts-05 (Bogor Barat) is down"},
                    },
                    *(
                        {
                            "status": "firing",
                            "labels": {"alertname": "NocBehindRootCause", "device": f"kel-{n}"},
                        }
                        for n in range(25)
                    ),
                ],
            }
        )
    )
    assert subject == "GANGGUAN bts-05"
    assert "BTS bts-05 mati" in text
    assert "25 perangkat di belakangnya" in text and "(+5)" in text


def test_a_recovery_says_how_long_it_lasted_in_wib() -> None:
    subject, text = plain_text(
        Notification.model_validate(
            {
                "status": "resolved",
                "receiver": "wa",
                "groupLabels": {"group": "bts-07"},
                "alerts": [
                    {
                        "status": "resolved",
                        "labels": {"alertname": "NocBtsDown", "device": "bts-07"},
                        "startsAt": "2026-12-07T03:02:10Z",
                        "endsAt": "2026-12-07T03:25:40Z",
                    }
                ],
            }
        )
    )
    assert subject == "PULIH bts-07"
    assert text.splitlines()[0] == "PULIH: bts-07 · mati 23 menit (10:02–10:25 WIB)"
