"""How the parallel workers (pytest-xdist) share the suite: which modules start first, which
are split test by test, and which wait for a shared artefact.

Every integration and lab module is classified here: as WAITING (mostly on clocks: collectors,
Prometheus, Alertmanager), COMPUTING (simulated months, reports, CLI runs) or BRIEF. A module
that is not fails the collection with its name, so a new one is placed on purpose, never left
to run last by accident. Registered by `tests/conftest.py`.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

# The order in which the parallel workers take the work. The machine's two cores are the limit,
# so the long units start at once, and what mostly waits on clocks (collectors, Prometheus,
# Alertmanager) alternates with what mostly computes (simulated months, reports, CLI runs),
# measured longest first in each list.
WAITING = [
    "integration/test_alerts",
    "integration/test_flows_lab",
    "integration/test_truth",
    "lab/test_fleet_partition",
    "lab/test_flows_softflowd",
    "integration/test_crash",
    "integration/test_events",
    "integration/test_fleet",
    "integration/test_store",
    "integration/test_dr",
    "integration/test_prometheus",
    "integration/test_wall",
    "integration/test_polling_lab",
    "integration/test_terminal",
    "integration/test_dashboards_live",
    "integration/test_service",
]
COMPUTING = [
    "integration/test_sla_month",
    "integration/test_secret_leak",
    "integration/test_cli_mistakes",
    "integration/test_cli_input",
    "integration/test_lab_snmp",
    "integration/test_diag_ssh",
    "integration/test_api_schemathesis",
    "integration/test_diag",
    "integration/test_dr_failover",
]
# Integration and lab modules short enough to run wherever a worker is free.
BRIEF = [
    "integration/test_alert_webhook",
    "integration/test_config_backup",
    "integration/test_api",
    "integration/test_api_guard",
    "integration/test_api_load",
    "integration/test_hostile_agents",
    "integration/test_http_flood",
    "integration/test_lean_client",
    "integration/test_leases",
    "integration/test_live_line",
    "integration/test_recordings_lab",
    "integration/test_relay_queue",
    "integration/test_services",
    "integration/test_discovery",
    "integration/test_services_checks",
    "integration/test_sla_maintenance",
    "integration/test_sla_periods",
    "integration/test_writer_faults",
    "lab/test_kernel_ground_truth",
]
LONGEST_FIRST = [
    COMPUTING[0],
    *WAITING[:2],
    COMPUTING[1],
    *(m for pair in itertools.zip_longest(WAITING[2:], COMPUTING[2:]) for m in pair if m),
]
# Modules whose tests share nothing wider than a test and a worker: each of their tests is a
# unit of work of its own. Every other module is one unit, run on one worker, so that a
# module-scoped fixture is made once.
SPREAD = {
    "integration/test_crash",
    "integration/test_fleet",
    "integration/test_store",
    "integration/test_polling_lab",
    "integration/test_service",
    "integration/test_cli_input",
    "integration/test_cli_mistakes",
    "integration/test_diag",
    "integration/test_dr_failover",
    "integration/test_terminal",
    "integration/test_writer_faults",
    "integration/test_lab_snmp",
    "integration/test_sla_periods",
    "integration/test_api",
    "integration/test_api_guard",
    "integration/test_truth",
    "integration/test_recordings_lab",
    "integration/test_sla_month",
}
# Modules whose tests share a run-wide artefact (tests/shared.py) that takes long to make: their
# first test goes where the module's place in LONGEST_FIRST says, and makes it; the others go
# after every other integration unit, when it is ready, and before the unit tests, which the
# scheduler deals beside them so that no worker queues two of them one behind the other.
LEAD_THEN_LAST = {"integration/test_sla_month"}


def short(nodeid: str) -> str:
    """tests/integration/test_crash.py::test_x -> integration/test_crash"""
    return nodeid.split("::", 1)[0].removeprefix("tests/").removesuffix(".py")


def spread(module: str) -> bool:
    """Each test of the module is a unit of work of its own (the unit tests' modules too: they
    are what the workers take last, and the smaller the units the more evenly they end)."""
    return module in SPREAD or module.startswith("unit/")


def shares_module_state(item: pytest.Item) -> bool:
    """The test uses a fixture wider than itself but narrower than the worker (module, class
    or package scope)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return True
    return any(
        str(d.scope) in ("module", "class", "package")
        for defs in info.name2fixturedefs.values()
        for d in defs
    )


def unclassified(modules: set[str]) -> list[str]:
    """The integration and lab modules of `modules` that no list here names."""
    known = {*WAITING, *COMPUTING, *BRIEF}
    return sorted(m for m in modules if m.startswith(("integration/", "lab/")) and m not in known)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    leads: dict[str, str] = {}  # module -> its first test

    others, trailing, units = len(LONGEST_FIRST), len(LONGEST_FIRST) + 1, len(LONGEST_FIRST) + 2

    def weight(item: pytest.Item) -> int:
        module = short(item.nodeid)
        if module in LEAD_THEN_LAST and leads.setdefault(module, item.nodeid) != item.nodeid:
            return trailing
        if module in LONGEST_FIRST:
            return LONGEST_FIRST.index(module)
        return units if module.startswith("unit/") else others

    missing = unclassified({short(item.nodeid) for item in items})
    if missing:
        raise pytest.UsageError(
            f"{', '.join(missing)}: not classified in tests/scheduling.py "
            "(add it to WAITING, COMPUTING or BRIEF)"
        )
    items.sort(key=weight)  # stable: the order inside each module is kept
    for item in items:
        if spread(short(item.nodeid)) and shares_module_state(item):
            raise pytest.UsageError(
                f"{item.path.name} shares a module-scoped fixture: take it "
                "out of SPREAD in tests/scheduling.py (a unit test's module: "
                "give the fixture session scope)"
            )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Work units for the parallel workers: a test of a SPREAD module, or a whole module."""
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class ModuleOrTest(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return nodeid if spread(short(nodeid)) else nodeid.split("::", 1)[0]

        def _reschedule(self, node: Any) -> None:
            # A worker runs a test once it holds the next one. One that holds a trailing unit
            # takes a unit test next, not a second trailing unit to run after the first.
            held = self.assigned_work.get(node, {})
            if any(
                short(scope) in LEAD_THEN_LAST and not all(done.values())
                for scope, done in held.items()
            ):
                light = next((s for s in self.workqueue if short(s) not in LEAD_THEN_LAST), None)
                if light is not None:
                    self.workqueue.move_to_end(light, last=False)
            super()._reschedule(node)

    return ModuleOrTest(config, log)
