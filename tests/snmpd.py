"""net-snmp's snmpd on a loopback port: a real agent nobody here wrote."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

V3_USER, V3_AUTH, V3_PRIV = "noc-test", "snmpd-auth-pass", "snmpd-priv-pass"


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def snmpd(work: Path, community: str = "public") -> Iterator[int]:
    """snmpd on 127.0.0.1:PORT with a v2c community and a SHA-256/AES-128 v3 user."""
    if shutil.which("snmpd") is None:
        raise RuntimeError("snmpd is missing: install Debian package 'snmpd'")
    work.mkdir(parents=True, exist_ok=True)
    port = free_udp_port()
    conf = work / "snmpd.conf"
    conf.write_text(
        f"agentAddress udp:127.0.0.1:{port}\n"
        f"rocommunity {community} 127.0.0.1\n"
        f"createUser {V3_USER} SHA-256 {V3_AUTH} AES {V3_PRIV}\n"
        f"rouser {V3_USER} authPriv\n"
    )
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(work / "persist"), "MIBS": ""}
    proc = subprocess.Popen(
        [
            "snmpd",
            "-f",
            "-C",
            "-c",
            str(conf),
            "-Lf",
            str(work / "snmpd.log"),
            "-p",
            str(work / "snmpd.pid"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        probe = [
            "snmpget",
            "-v2c",
            "-c",
            community,
            "-t",
            "0.3",
            "-r",
            "0",
            f"127.0.0.1:{port}",
            "1.3.6.1.2.1.1.3.0",
        ]
        while subprocess.run(probe, capture_output=True, check=False).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                log = work / "snmpd.log"
                raise RuntimeError(log.read_text() if log.exists() else "snmpd did not start")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
