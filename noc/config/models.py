"""One small model per device type: what to run, which lines change on every run (and are
dropped), which values are secrets (and are hashed), and how a complete output looks. Pure data
and pure functions: nothing here talks to a device.

Volatile lines are the usual cause of a commit on every run (a RouterOS export's dated header,
an IOS `ntp clock-period`, uptime lines); a cut output stored as if whole is the usual cause of
a lost configuration. Both are decided here, per vendor, and tested against real formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Secret:
    """A value to hide: `pattern`'s group `value` is replaced by its keyed hash."""

    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Model:
    name: str  # the netmiko device_type it connects with
    config_command: str  # the configuration itself: checked for completeness
    more: tuple[str, ...]  # what else is kept beside it (packages, hardware, version)
    volatile: tuple[re.Pattern[str], ...]
    secrets: tuple[Secret, ...]
    # Every pattern must match somewhere in the main output for it to count as whole; none of
    # `broken` may match anywhere.
    complete: tuple[re.Pattern[str], ...]
    broken: tuple[re.Pattern[str], ...] = ()
    # Where the device's own text says who changed it last (group `who`).
    author: tuple[re.Pattern[str], ...] = ()
    # A command whose output names who changed the configuration (read, never stored).
    author_command: str | None = None
    comment: str = "#"
    # The vendor's prompt, found at the end of the last line; the exact prompt is then learnt
    # from the device and ends every answer (`reading.py`).
    prompt: re.Pattern[str] = re.compile(r"[^\s>#$%]+[>#$%]")
    # RouterOS 6 exports its secrets without being asked (and knows no `show-sensitive`).
    legacy_config_command: str | None = None
    legacy: re.Pattern[str] | None = None  # found in the first `more` output: legacy

    def config_command_for(self, first: str | None) -> str:
        if self.legacy is not None and first is not None and self.legacy.search(first):
            return self.legacy_config_command or self.config_command
        return self.config_command


def _re(text: str) -> re.Pattern[str]:
    return re.compile(text, re.M)


def _secret(text: str) -> Secret:
    return Secret(re.compile(text, re.M))


# RouterOS: `/export terse` (one whole command per line). Its header carries the date and time
# of the export (`# 2026-12-07 15:00:01 by RouterOS 7.16.2`, or `# dec/07/2026 15:00:01 by
# RouterOS 6.49.10`): dropped. A complete export reaches `/system identity` (every device the
# NOC manages has its name set), and an interrupted one says so.
MIKROTIK = Model(
    name="mikrotik_routeros",
    config_command="/export terse show-sensitive",
    more=("/system package print", "/system routerboard print"),
    legacy_config_command="/export terse",
    legacy=_re(r"^\s*\d+\s+routeros(?:-\S+)?\s+6\."),
    volatile=(
        _re(r"^# \S+ \d\d:\d\d:\d\d by RouterOS .*$"),
        _re(r"^\s*(uptime|current-firmware-uptime|cpu-load|free-memory|temperature):.*$"),
    ),
    secrets=(
        _secret(
            r"\b(?:password|authentication-password|encryption-password|secret|passphrase|"
            r"wpa-pre-shared-key|wpa2-pre-shared-key|private-key|pre-shared-key)="
            r'(?P<value>"[^"]*"|\S+)'
        ),
        _secret(r"^/snmp community (?:add|set) .*?\bname=(?P<value>\S+)"),
    ),
    complete=(_re(r"^# .*by RouterOS"), _re(r"^/system identity set name=")),
    broken=(_re(r"^(?:interrupted|action timed out\b.*)$"),),
    author_command='/log print where message~"changed by"',
    prompt=re.compile(r"\[[^\[\]\n]+\][^\[\]\n]*>"),
    author=(_re(r"changed by (?:\S+ \()?(?P<who>[A-Za-z0-9_.@-]+)"),),
)

# Cisco IOS: `show running-config` ends with `end`. Its header lines change on every run or
# every save: `Building configuration...`, `Current configuration : N bytes`, `! Last
# configuration change at ... by USER` (read for the author first), `! NVRAM config last
# updated at ...`, and `ntp clock-period` (the clock's drift, rewritten by NTP).
CISCO_IOS = Model(
    name="cisco_ios",
    config_command="show running-config",
    more=("show version",),
    volatile=(
        _re(r"^Building configuration\.\.\.$"),
        _re(r"^Current configuration ?: \d+ bytes$"),
        _re(r"^! Last configuration change at .*$"),
        _re(r"^! NVRAM config last updated at .*$"),
        _re(r"^! No configuration change since last restart$"),
        _re(r"^ntp clock-period \d+$"),
        _re(r"^.* uptime is .*$"),
        _re(r"^System returned to ROM by .*$"),
        _re(r"^System restarted at .*$"),
    ),
    secrets=(
        _secret(r"^\s*enable (?:secret|password)(?: \d+)? (?P<value>\S+)"),
        _secret(r"^\s*username \S+ .*?(?:secret|password)(?: \d+)? (?P<value>\S+)"),
        _secret(r"^\s*snmp-server community (?P<value>\S+)"),
        _secret(r"^\s*(?:tacacs-server|radius-server) key(?: \d+)? (?P<value>\S+)"),
        _secret(r"^\s*key(?: \d+)? (?P<value>\S+)$"),
        _secret(r"^\s*crypto isakmp key(?: \d+)? (?P<value>\S+)"),
        _secret(r"^\s*password(?: \d+)? (?P<value>\S+)$"),
    ),
    complete=(_re(r"^end\s*\Z"),),
    author=(_re(r"^! Last configuration change at .* by (?P<who>\S+)$"),),
    comment="!",
    prompt=re.compile(r"[\w.\-/:()]+[>#]"),
)

# Huawei VRP: `display current-configuration` ends with `return`.
HUAWEI = Model(
    name="huawei",
    config_command="display current-configuration",
    more=("display version",),
    volatile=(
        _re(r"^!Last configuration was (?:updated|saved) at .*$"),
        _re(r"^.* uptime is .*$"),
    ),
    secrets=(
        _secret(r"\b(?:cipher|irreversible-cipher|password simple|password cipher) (?P<value>\S+)"),
        _secret(r"^\s*snmp-agent community (?:read|write) (?:cipher )?(?P<value>\S+)"),
        _secret(r"\bpre-shared-key (?:cipher |simple )?(?P<value>\S+)"),
    ),
    complete=(_re(r"^return\s*\Z"),),
    prompt=re.compile(r"<[^<>\n]+>|\[[^\[\]\n]+\]"),
)

# Ubiquiti EdgeOS and VyOS: `show configuration commands`, one `set` per line.
VYOS = Model(
    name="vyos",
    config_command="show configuration commands",
    more=(),
    volatile=(),
    secrets=(
        _secret(
            r"\b(?:plaintext-password|encrypted-password|pre-shared-secret|password|secret|key)"
            r" (?P<value>'[^']*'|\S+)"
        ),
        _secret(r"^set service snmp community (?P<value>\S+)"),
    ),
    complete=(_re(r"^set system host-name "),),
    prompt=re.compile(r"[^\s$#]+[$#]"),
)

# Linux servers: what defines their network face (no secrets are read).
LINUX = Model(
    name="linux",
    config_command="cat /etc/network/interfaces",
    more=("cat /etc/hostname", "ip -o route show"),
    volatile=(),
    secrets=(),
    complete=(_re(r"\S"),),
    prompt=re.compile(r"[^\s$#]+[$#]"),
)

MODELS: dict[str, Model] = {m.name: m for m in (MIKROTIK, CISCO_IOS, HUAWEI, VYOS, LINUX)} | {
    "ubiquiti_edge": VYOS
}


def model_for(device_type: str) -> Model:
    return MODELS[device_type]
