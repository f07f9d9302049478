"""The one base class of expected failures: a store that does not answer, a name that is not
in the inventory, a port already taken, a secret not set. Its message is one line a person can
act on; the command line prints it and exits non-zero, never with a traceback. A failure of a
kind not derived from it is a bug, and keeps its traceback so it can be reported."""

from __future__ import annotations


class NocError(Exception):
    """An expected failure, said in one line."""
