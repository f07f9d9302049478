"""Inventory errors that name the file, the line and the field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from noc.errors import NocError


@dataclass(frozen=True)
class InventoryIssue:
    """One problem found in an inventory file."""

    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else f"{self.file}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class InventoryError(NocError):
    """The inventory is invalid; `issues` lists every problem found, not just the first."""

    def __init__(self, issues: list[InventoryIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.line or 0, i.field))
        super().__init__("\n".join(str(i) for i in self.issues))
