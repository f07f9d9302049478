"""Run net-snmp's own command-line tools (a client nobody here wrote) and parse their output."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

LINE = re.compile(r"^\.?(?P<oid>[\d.]+) = (?:(?P<type>[\w-]+): )?(?P<value>.*)$")

V3_LAB = [
    "-v3",
    "-l",
    "authPriv",
    "-u",
    "noc-monitor",
    "-a",
    "SHA-256",
    "-A",
    "lab-auth-passphrase",
    "-x",
    "AES",
    "-X",
    "lab-priv-passphrase",
]


@dataclass(frozen=True)
class Var:
    oid: str
    type: str
    value: str

    def as_int(self) -> int:
        return int(self.value.split()[0].strip("()"))


def v2c(community: str = "public") -> list[str]:
    return ["-v2c", "-c", community]


def run(
    tool: str, auth: list[str], address: str, *args: str, timeout: float = 1.0, retries: int = 0
) -> list[Var]:
    if shutil.which(tool) is None:
        raise RuntimeError(f"{tool} is missing: install Debian package 'snmp'")
    cmd = [tool, "-On", "-t", str(timeout), "-r", str(retries), *auth, address, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0 and not proc.stdout:
        raise SnmpToolError(proc.stderr.strip() or f"{tool} exited {proc.returncode}")
    out = []
    for line in proc.stdout.splitlines():
        match = LINE.match(line)
        if match:
            out.append(Var(match["oid"], match["type"] or "", match["value"].strip('"')))
    return out


class SnmpToolError(Exception):
    pass


def get(auth: list[str], address: str, *oids: str, **kw: float) -> dict[str, Var]:
    return {v.oid: v for v in run("snmpget", auth, address, *oids, **kw)}  # type: ignore[arg-type]


def walk(auth: list[str], address: str, oid: str, **kw: float) -> dict[str, Var]:
    found = run("snmpbulkwalk", auth, address, oid, **kw)  # type: ignore[arg-type]
    return {v.oid: v for v in found if not v.value.startswith("No more variables")}
