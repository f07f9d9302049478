"""The README's list of Debian packages is the one scripts/system-packages.sh installs."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_the_readme_names_every_package_the_script_installs() -> None:
    script = (ROOT / "scripts" / "system-packages.sh").read_text()
    match = re.search(r"^PACKAGES=\(([^)]*)\)", script, re.M)
    assert match is not None
    installed = set(match.group(1).split())
    readme = (ROOT / "README.md").read_text()
    listed = re.search(r"Debian packages\s+are present \(`([^`]*)`\)", readme)
    assert listed is not None, "the README's package list moved"
    assert set(listed.group(1).split()) == installed
