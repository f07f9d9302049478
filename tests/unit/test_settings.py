"""The settings: NOC_ variables from the environment over the settings files, one line when
one does not hold."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def test_settings_come_from_the_environment_over_the_settings_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import noc.paths
    from noc.settings import Settings, SettingsError

    system, project = tmp_path / "system.env", tmp_path / "noc.env"
    system.write_text("NOC_HTTP_PORT=9470\nNOC_LEASE_S=20\n")
    project.write_text(
        "# the NOC's own settings\n"
        "export NOC_HTTP_PORT=9471  # the project's file comes after the system's\n"
        "NOC_COLLECTOR_SITE='dr'\n"
        'noc_database_url="postgresql://noc@127.0.0.1/noc # not a comment"\n'
        "NOT_OURS=1\nno equals sign here\n"
    )
    monkeypatch.setattr(noc.paths, "settings_files", lambda: (system, project))
    for name in [k for k in os.environ if k.upper().startswith("NOC_")]:
        monkeypatch.delenv(name)
    s = Settings()
    assert (s.http_port, s.lease_s, s.collector_site) == (9471, 20.0, "dr")
    assert s.database_url == "postgresql://noc@127.0.0.1/noc # not a comment"
    monkeypatch.setenv("noc_http_port", "9472")  # any case, and over the files
    assert Settings().http_port == 9472
    assert Settings(http_port=9473).http_port == 9473  # what the code passes wins
    project.write_text("NOC_LEASE_S=one minute\n")
    with pytest.raises(SettingsError) as err:
        Settings()
    assert str(err.value) == (
        f"NOC_LEASE_S='one minute' (in {project}): Input should be a "
        "valid number, unable to parse string as a number"
    )
