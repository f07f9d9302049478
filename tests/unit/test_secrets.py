from __future__ import annotations

import ipaddress

import pytest

from noc.inventory import load_inventory
from noc.inventory.model import SecretRef
from noc.inventory.secrets import SecretError, resolve_secret
from tests.conftest import SMALL


def test_environment_wins_and_lab_default_only_serves_loopback() -> None:
    inv = load_inventory(SMALL)
    ref = SecretRef(env="NOC_TEST_SECRET", lab_default="lab")
    users = inv.devices
    assert resolve_secret(ref, users, {"NOC_TEST_SECRET": "real"}).get_secret_value() == "real"
    assert resolve_secret(ref, users, {}).get_secret_value() == "lab"
    outside = users[0].model_copy(update={"address": ipaddress.ip_address("198.51.100.7")})
    with pytest.raises(SecretError, match="NOC_TEST_SECRET is not set"):
        resolve_secret(ref, [outside], {})


def test_secret_without_default_needs_the_variable() -> None:
    with pytest.raises(SecretError, match="NOC_X is not set"):
        resolve_secret(SecretRef(env="NOC_X"), [], {})


def test_secret_never_prints() -> None:
    inv = load_inventory(SMALL)
    value = resolve_secret(SecretRef(env="NOC_Y", lab_default="hunter2"), inv.devices, {})
    assert "hunter2" not in repr(value) and "hunter2" not in str(value)
