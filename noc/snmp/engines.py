"""The SNMP engines the toolkit can poll with, chosen by the `snmp_engine` setting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from noc.snmp.client import SnmpClient

Engine = Literal["lean", "pysnmp"]
ClientFactory = Callable[[], SnmpClient]


def _pysnmp() -> SnmpClient:
    # pysnmp costs a quarter of a second to import: loaded only when it is the chosen engine.
    from noc.snmp.pysnmp_client import PysnmpClient

    return PysnmpClient()


def client_factory(engine: Engine = "lean") -> ClientFactory:
    """What makes a client of the engine: the lean codec (the default) or pysnmp. Loaded here,
    not with the settings that name it: most commands read the settings and never poll."""
    from noc.snmp.lean_client import LeanClient

    return _pysnmp if engine == "pysnmp" else LeanClient
