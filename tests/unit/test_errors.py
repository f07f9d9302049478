"""Every failure of the toolkit's own is a NocError, and the command line says it in one line."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import noc
from noc.cli.errors import explain
from noc.errors import NocError

# Internal signals, caught where they are raised; never reach a person.
INTERNAL = {"_TooLarge", "_TooBig", "DecodeError", "Ambiguous", "RecordingError", "_NoSuchName"}


def test_every_exception_class_of_the_toolkit_is_an_expected_failure() -> None:
    found = []
    for module in pkgutil.walk_packages(noc.__path__, "noc."):
        if module.name == "noc.__main__" or module.name.startswith("noc.store.migrations"):
            continue
        if (
            module.name.startswith(("noc.lab.", "noc.cli.main"))
            and "control" not in module.name
            and "scenarios" not in module.name
        ):
            continue
        loaded = importlib.import_module(module.name)
        for name, obj in inspect.getmembers(loaded, inspect.isclass):
            if (
                obj.__module__ == module.name
                and issubclass(obj, Exception)
                and name not in INTERNAL
            ):
                found.append(obj)
                assert issubclass(obj, NocError), f"{module.name}.{name} is not a NocError"
    assert len(found) >= 15


def test_a_new_expected_failure_is_one_line_without_being_listed() -> None:
    class Unlisted(NocError):
        pass

    assert explain(Unlisted("the radio at bts-07 is not answering")) == (
        "the radio at bts-07 is not answering"
    )
    assert explain(RuntimeError("a bug")) is None
