"""The gateway relay's rate limit: a burst of 100 notifications to one chat gives at most N
messages a minute, and the summary names every one it folded."""

from __future__ import annotations

import pytest

from noc.alerts.history import Notification
from noc.alerts.relay import RateLimiter, plain_text


def test_a_burst_of_100_is_cut_to_the_limit_and_nothing_is_lost() -> None:
    relay = RateLimiter(per_minute=20, quiet_s=3)
    sent = []
    subjects = [f"GANGGUAN kel-{n:03d}" for n in range(100)]
    for n, subject in enumerate(subjects):
        sent += relay.offer("wa-noc", subject, f"text {n}", now=1000 + n * 0.01)
    assert len(sent) == 19  # one slot kept for the summary
    assert relay.flush(now=1001) == []  # still busy: wait for quiet
    summary = relay.flush(now=1005)
    assert len(summary) == 1
    delivered = {s.text.split()[1] for s in sent}
    folded = set(summary[0].folded)
    assert len(sent) + len(summary) <= 20
    assert {f"GANGGUAN kel-{n:03d}" for n in range(19, 100)} == folded
    assert delivered == {str(n) for n in range(19)}
    assert all(subject in summary[0].text for subject in folded)
    # The next minute: room again; a new burst in the same minute waits.
    assert relay.offer("wa-noc", "x", "late", now=1010) == []
    assert relay.flush(now=1020) == []  # the 60 s window is still full
    later = relay.flush(now=1061)
    assert [o.folded for o in later] == [("x",)]
    # Other chats are not held back by this one.
    assert relay.offer("wa-managers", "y", "hello", now=1010)[0].text == "hello"


def test_the_limit_leaves_room_for_a_summary() -> None:
    with pytest.raises(ValueError, match="room"):
        RateLimiter(per_minute=1)


def test_plain_text_names_the_root_cause_and_what_is_behind_it() -> None:
    subject, text = plain_text(Notification.model_validate({
        "status": "firing", "receiver": "wa", "groupLabels": {"group": "bts-05"},
        "alerts": [
            {"status": "firing", "labels": {"alertname": "NocBtsDown", "device": "bts-05"},
             "annotations": {"summary": "BTS bts-05 (Bogor Barat) is down"}},
            *({"status": "firing",
               "labels": {"alertname": "NocBehindRootCause", "device": f"kel-{n}"}}
              for n in range(25)),
        ],
    }))  # fmt: skip
    assert subject == "GANGGUAN bts-05"
    assert "BTS bts-05 mati" in text
    assert "25 perangkat di belakangnya" in text and "(+5)" in text
