"""Network namespaces for the root-only tests: a command in one, and clearing what a test (or
an interrupted run of it) left behind."""

from __future__ import annotations

import subprocess


def sh(*args: str, ns: str | None = None) -> str:
    """A command (in namespace `ns`, if given); its output. A failure raises."""
    cmd = ["ip", "netns", "exec", ns, *args] if ns else list(args)
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def clear(namespaces: tuple[str, ...], links: tuple[str, ...] = ()) -> None:
    """Every process in the namespaces killed, the namespaces deleted, the host's veths gone."""
    for ns in namespaces:
        pids = subprocess.run(
            ["ip", "netns", "pids", ns], capture_output=True, text=True, check=False
        ).stdout.split()
        for pid in pids:
            subprocess.run(["kill", "-9", pid], check=False)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
    for link in links:
        subprocess.run(["ip", "link", "del", link], capture_output=True, check=False)
