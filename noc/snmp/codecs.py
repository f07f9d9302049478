"""The SNMP codecs the toolkit can poll with, chosen by the `snmp_codec` setting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from noc.snmp.client import SnmpClient

Codec = Literal["lean", "pysnmp"]
ClientFactory = Callable[[], SnmpClient]


def _pysnmp() -> SnmpClient:
    # pysnmp costs a quarter of a second to import: loaded only when it is the chosen codec.
    from noc.snmp.pysnmp_client import PysnmpClient

    return PysnmpClient()


def client_factory(codec: Codec = "lean") -> ClientFactory:
    """What makes a client of the codec: the lean codec (the default) or pysnmp. Loaded here,
    not with the settings that name it: most commands read the settings and never poll."""
    from noc.snmp.lean_client import LeanClient

    return _pysnmp if codec == "pysnmp" else LeanClient
