"""The scheduling plugin knows every integration and lab module, and only modules that exist."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.scheduling import BRIEF, COMPUTING, LEAD_THEN_LAST, SPREAD, WAITING, unclassified

ON_DISK = {
    str(p.relative_to(ROOT / "tests").with_suffix(""))
    for folder in ("integration", "lab")
    for p in (ROOT / "tests" / folder).glob("test_*.py")
}


def test_every_module_on_disk_is_classified_once() -> None:
    assert unclassified(ON_DISK) == []
    listed = [*WAITING, *COMPUTING, *BRIEF]
    assert len(listed) == len(set(listed)), "a module in two lists"


def test_a_new_module_is_named_until_it_is_classified() -> None:
    assert unclassified({*ON_DISK, "integration/test_syslog"}) == ["integration/test_syslog"]
    assert unclassified({"unit/test_anything"}) == []


def test_no_list_names_a_module_that_is_gone() -> None:
    named = {*WAITING, *COMPUTING, *BRIEF, *SPREAD, *LEAD_THEN_LAST}
    assert named <= ON_DISK, named - ON_DISK
