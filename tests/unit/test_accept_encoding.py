"""/metrics is gzipped only when the client takes gzip: `gzip;q=0` refuses it."""

from __future__ import annotations

import pytest

from noc.api.routes.metrics import accepts_gzip


@pytest.mark.parametrize(
    ("header", "gzip"),
    [
        ("gzip", True),
        ("gzip, deflate", True),
        ("deflate, gzip;q=0.5", True),
        ("", False),
        ("gzip;q=0", False),
        ("gzip; q=0.0, identity", False),
        ("*;q=0.1", True),
        ("*, gzip;q=0", False),
        ("identity", False),
        ("gzip;q=x", False),
    ],
)
def test_gzip_is_taken_as_the_header_says(header: str, gzip: bool) -> None:
    assert accepts_gzip(header) is gzip
