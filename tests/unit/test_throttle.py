"""The throttle of refused tokens: bounded memory that never forgets who is throttled, and
the client address behind a trusted proxy."""

from __future__ import annotations

import ipaddress

from noc.api.guard import Throttle, client_address


def test_ten_thousand_other_addresses_never_free_a_throttled_one() -> None:
    throttle = Throttle(limit=10, window_s=60.0, max_addresses=10_000)
    for _ in range(10):
        throttle.failed("198.51.100.1", "test", now=0.0)
    assert throttle.retry_after("198.51.100.1", now=1.0) > 0
    for i in range(10_002):
        throttle.failed(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", "test", now=2.0)
    assert len(throttle) <= 10_000
    assert throttle.retry_after("198.51.100.1", now=3.0) > 0
    assert throttle.forgotten > 0


def test_a_throttle_full_of_throttled_addresses_stays_bounded() -> None:
    throttle = Throttle(limit=2, window_s=60.0, max_addresses=100)
    for i in range(300):
        for _ in range(2):
            throttle.failed(f"a{i}", "test", now=float(i) / 10)
    assert len(throttle) <= 100
    assert throttle.retry_after("a299", now=30.0) > 0


def test_failures_age_out_of_the_window() -> None:
    throttle = Throttle(limit=3, window_s=10.0)
    for t in (0.0, 1.0, 2.0):
        throttle.failed("x", "test", now=t)
    assert throttle.retry_after("x", now=5.0) > 0
    assert throttle.retry_after("x", now=11.5) == 0


def test_the_forwarded_client_is_believed_only_from_a_trusted_proxy() -> None:
    proxy = (ipaddress.ip_network("192.0.2.0/28"),)
    assert client_address("198.51.100.9", "203.0.113.7", proxy) == "198.51.100.9"
    assert client_address("192.0.2.1", "203.0.113.7", proxy) == "203.0.113.7"
    # A chain of trusted proxies: the last hop that is not one of them.
    assert client_address("192.0.2.1", "1.1.1.1, 203.0.113.7, 192.0.2.2", proxy) == "203.0.113.7"
    assert client_address("192.0.2.1", "not-an-address", proxy) == "192.0.2.1"
    assert client_address("192.0.2.1", None, proxy) == "192.0.2.1"
