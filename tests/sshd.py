"""A real OpenSSH server on a loopback address, started by the test as root."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.ports import free_port

SSHD = "/usr/sbin/sshd"


@contextmanager
def sshd(workdir: Path, address: str) -> Iterator[tuple[int, Path]]:
    """Run sshd on `address`; yields (port, private key file) for root key login."""
    workdir.mkdir(parents=True, exist_ok=True)
    host_key, user_key = workdir / "host_ed25519", workdir / "user_ed25519"
    for key in (host_key, user_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    shutil.copy(workdir / "user_ed25519.pub", workdir / "authorized_keys")
    port = free_port(address)
    config = workdir / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress {address}\nHostKey {host_key}\n"
        f"PidFile {workdir / 'sshd.pid'}\nAuthorizedKeysFile {workdir / 'authorized_keys'}\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel VERBOSE\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = (workdir / "sshd.log").open("wb")
    proc = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((address, port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / "sshd.log").read_text()) from None
                time.sleep(0.1)
        yield port, user_key
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def can_run_sshd() -> bool:
    return os.geteuid() == 0 and Path(SSHD).exists()
