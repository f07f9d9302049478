"""The layering of the package, checked on its source (AST): what each layer may import.

noc.snmp, noc.inventory          the bottom: nothing above them
the live-state fold, noc.store   pure or synchronous: nothing from the asyncio side
noc.fleet                        a collector of a fleet: over the store and the poller; only
                                 the service (and the CLI, the API) use it
noc.service, noc.api, noc.cli    the top: nothing below imports them
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "noc"
FOLD = {
    "noc.polling." + m
    for m in (
        "availability",
        "rates",
        "rollup",
        "events",
        "maintenance",
        "livestate",
        "samples",
        "decode",
        "domains",
    )
}
ASYNC_SIDE = {
    "asyncio",
    "noc.polling.poller",
    "noc.polling.queries",
    "noc.polling.scheduler",
    "noc.snmp.lean_client",
    "noc.snmp.pysnmp_client",
    "noc.snmp.codecs",
}
TOP = ("noc.service", "noc.api", "noc.cli")
# Imports inside functions, kept for startup time only: the CLI loads a command's modules
# when it runs, and pysnmp (0.27 s to import) loads only when it is the chosen engine.
DEFERRED_OK = {"noc/snmp/codecs.py", "noc/snmp/lean_client.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[str, bool]]:
    """Every module `path` imports, and whether the import is inside a function."""
    stack: list[tuple[ast.AST, bool]] = [(ast.parse(path.read_text()), False)]
    while stack:
        node, deferred = stack.pop()
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, deferred
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, deferred
        inside = deferred or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        stack.extend((child, inside) for child in ast.iter_child_nodes(node))


@functools.cache
def graph() -> dict[str, list[tuple[str, bool, str]]]:
    out: dict[str, list[tuple[str, bool, str]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = str(path.relative_to(ROOT))
        out[module_name(path)] = [(m, d, rel) for m, d in imports(path)]
    return out


def within(module: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_bottom_imports_nothing_above_it() -> None:
    # noc.errors (the base of expected failures) sits below everything, like noc.redact.
    allowed = {
        "noc.snmp": ("noc.snmp", "noc.errors"),
        "noc.inventory": ("noc.inventory", "noc.redact", "noc.errors"),
        "noc.errors": (),
    }
    wrong = [
        f"{name} imports {target}"
        for name, found in graph().items()
        for layer, ok in allowed.items()
        if within(name, (layer,))
        for target, _, _ in found
        if target.startswith("noc.") and not within(target, ok)
    ]
    assert wrong == []


def test_the_fold_and_the_store_stay_off_the_asyncio_side() -> None:
    wrong = []
    for name, found in graph().items():
        if name in FOLD:
            forbidden = ASYNC_SIDE
        elif within(name, ("noc.store",)):
            forbidden = ASYNC_SIDE - {"asyncio"}  # the writer's own loop is asyncio
        else:
            continue
        wrong += [f"{name} imports {t}" for t, _, _ in found if within(t, forbidden)]
        wrong += [f"{name} imports {t}" for t, _, _ in found if within(t, TOP)]
    assert wrong == []


def test_nothing_below_the_top_imports_the_top() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, found in graph().items()
        if not within(name, TOP) and name != "noc.__main__"
        for target, _, _ in found
        if within(target, TOP)
    ]
    assert wrong == []


def test_the_fleet_sits_above_the_store_and_the_poller() -> None:
    users = ("noc.fleet", *TOP)
    wrong = [
        f"{name} imports {target}"
        for name, found in graph().items()
        if not within(name, users)
        for target, _, _ in found
        if within(target, ("noc.fleet",))
    ]
    assert wrong == []


def test_no_import_hides_in_a_function_to_dodge_a_cycle() -> None:
    wrong = [
        f"{path}: {target}"
        for found in graph().values()
        for target, deferred, path in found
        if deferred
        and target.startswith("noc.")
        and not path.startswith("noc/cli/")
        and path not in DEFERRED_OK
    ]
    assert wrong == []


def test_the_check_sees_a_violation() -> None:
    """The walker finds imports at module level and inside functions (so the tests above can
    fail)."""
    found = {m: d for m, d, _ in graph()["noc.service"]}
    assert found.get("noc.api.app") is False
    tree = list(imports(PACKAGE / "snmp" / "codecs.py"))
    assert ("noc.snmp.pysnmp_client", True) in tree


def test_configuration_backup_sits_on_the_inventory_and_ssh_alone() -> None:
    ok = ("noc.config", "noc.inventory", "noc.ssh", "noc.errors", "noc.redact")
    wrong = [
        f"{name} imports {target}"
        for name, found in graph().items()
        if within(name, ("noc.config",))
        for target, _, _ in found
        if target.startswith("noc.") and not within(target, ok)
    ]
    assert wrong == []
