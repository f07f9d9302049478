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


def test_the_readme_is_read_in_ten_minutes_and_its_links_lead_somewhere() -> None:
    import re as regex

    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 200
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in regex.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)
