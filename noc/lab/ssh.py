"""The lab's devices over SSH (asyncssh): each answers on its own loopback address with its
vendor's prompt and the commands the configuration backup runs, from a configuration text made
from the inventory. The volatile lines change on every run (a RouterOS export's dated header, an
IOS `ntp clock-period` and uptime), so a backup that does not drop them commits every time.

Scenarios, per device:
- `config-change`: a line is added and the device's log says who changed it;
- `truncated`: the export stops part way, and the prompt comes back;
- `hang`: the export starts and never ends;
- `slow`: a slow radio link: every prompt comes in two pieces, 0.4 s apart, and every command
  is echoed twice (a repaint), as RouterOS does on a congested link.

Seeded for compliance: one RouterOS device leaves telnet enabled, one keeps the `public`
community, and the Cisco core answers with `ip http server`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import asyncssh

from noc.inventory import Inventory
from noc.inventory.model import Device, DeviceKind
from noc.lab.notify import send_syslog

# What the lab's configurations hold as secrets: a scan of what the toolkit keeps must find none.
LAB_SECRETS = ("bogor-wifi-2026", "ppp-rahasia-kelurahan", "lab-snmp-community", "lab-tacacs-key")
PUBLIC_COMMUNITY_DEVICE_INDEX = 2  # the third RouterOS device with SSH keeps `public`
TELNET_DEVICE_INDEX = 1  # the second leaves telnet enabled


@dataclass
class DeviceScript:
    device: Device
    index: int
    changes: list[tuple[str, str]] = field(default_factory=list)  # (line, who)
    truncated: bool = False
    hang: bool = False
    slow: bool = False
    logins: int = 0
    open_sessions: int = 0


def _stamp(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:8].upper()


def routeros_export(script: DeviceScript, now: float) -> str:
    d = script.device
    community = "public" if script.index == PUBLIC_COMMUNITY_DEVICE_INDEX else "lab-snmp-community"
    services = ["ftp", "www", "api", "api-ssl"]
    if script.index != TELNET_DEVICE_INDEX:
        services.insert(0, "telnet")
    lines = [
        f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(now))} by RouterOS 7.16.2",
        f"# software id = {_stamp(d.name)}",
        "#",
        "# model = RB4011iGS+",
        f"# serial number = HD{_stamp(d.name + 'sn')}",
    ]
    for iface in d.interfaces:
        name, comment = iface.name, iface.description
        lines.append(f'/interface ethernet set [ find default-name={name} ] comment="{comment}"')
    lines += [
        "/interface wireless security-profiles set [ find default=yes ] "
        'authentication-types=wpa2-psk mode=dynamic-keys wpa2-pre-shared-key="bogor-wifi-2026"',
        "/ip address add address=192.0.2.1/24 interface=ether2 network=192.0.2.0",
        "/ip dns set servers=192.0.2.53",
        *(f"/ip service set {s} disabled=yes" for s in services),
        "/ppp secret add name=kelurahan-01 password=ppp-rahasia-kelurahan service=pppoe",
        f"/snmp community set [ find default=yes ] addresses=127.0.0.0/8 name={community}",
        "/snmp set enabled=yes",
        *(line for line, _ in script.changes),
        f"/system identity set name={d.name}",
        "/system logging action set 3 remote=192.0.2.50",
        "/system logging add action=remote topics=info",
        "/system ntp client set enabled=yes",
        "/system ntp client servers add address=192.0.2.123",
    ]
    if script.truncated:
        lines = lines[: len(lines) // 2]
    return "\r\n".join(lines)


def ios_running(script: DeviceScript, now: float) -> str:
    d = script.device
    who = script.changes[-1][1] if script.changes else "admin"
    body = [
        "Building configuration...",
        "",
        f"Current configuration : {4000 + int(now) % 997} bytes",
        "!",
        f"! Last configuration change at 09:12:44 WIB Mon Dec 7 2026 by {who}",
        "! NVRAM config last updated at 09:13:02 WIB Mon Dec 7 2026 by admin",
        "!",
        "version 15.2",
        "service timestamps log datetime msec",
        f"hostname {d.name}",
        "!",
        "enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0",
        "username noc privilege 15 secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm",
        "!",
        *(
            f"interface {i.name}\n description {i.description}\n no shutdown\n!"
            for i in d.interfaces
        ),
        "ip http server",
        "!",
        "snmp-server community lab-snmp-community RO",
        "logging host 192.0.2.50",
        "tacacs-server key 7 lab-tacacs-key",
        *(line for line, _ in script.changes),
        f"ntp clock-period {17179000 + int(now) % 1000}",
        "ntp server 192.0.2.123",
        "!",
        "line vty 0 4",
        " transport input ssh",
        "!",
        "end",
    ]
    text = "\r\n".join(body)
    if script.truncated:
        text = text[: len(text) // 2]
    return text


def ios_version(script: DeviceScript, now: float) -> str:
    up = int(now) % 86_400
    return "\r\n".join(
        [
            "Cisco IOS Software, C3900 Software (C3900-UNIVERSALK9-M), Version 15.2(4)M7",
            f"{script.device.name} uptime is {up // 3600} hours, {up % 3600 // 60} minutes",
            'System image file is "flash0:c3900-universalk9-mz.SPA.152-4.M7.bin"',
            "Configuration register is 0x2102",
        ]
    )


def linux_file(script: DeviceScript, command: str) -> str:
    d = script.device
    if command == "cat /etc/hostname":
        return d.name
    if command == "cat /etc/network/interfaces":
        lines = ["auto lo", "iface lo inet loopback", ""]
        for i in d.interfaces:
            lines += [f"auto {i.name}", f"iface {i.name} inet static", "    address 192.0.2.10/24"]
        lines += [line for line, _ in script.changes]
        return "\r\n".join(lines)
    if command == "ip -o route show":
        return "default via 192.0.2.1 dev eth0 proto static"
    return f"-bash: {command.split()[0]}: command not found"


class LabSsh:
    """SSH servers for the inventory's devices with `ssh:` access, on their addresses."""

    def __init__(
        self,
        inv: Inventory,
        port: int,
        username: str,
        password: str,
        clock: Callable[[], float] = time.time,
        devices: Iterable[str] | None = None,
    ) -> None:
        self.inv, self.port, self.username, self.password = inv, port, username, password
        self.clock = clock
        chosen = list(devices) if devices is not None else [d.name for d in inv.devices if d.ssh]
        routeros = 0
        self.scripts: dict[str, DeviceScript] = {}
        for name in chosen:
            device = inv.device(name)
            index = routeros if device.kind is DeviceKind.MIKROTIK_ROUTEROS else 0
            routeros += device.kind is DeviceKind.MIKROTIK_ROUTEROS
            self.scripts[name] = DeviceScript(device, index)
        self.servers: list[asyncssh.SSHAcceptor] = []
        self.syslog: tuple[str, int] | None = None  # where a change's log line goes

    # --- scenarios ---------------------------------------------------------------------

    def config_change(self, name: str, who: str = "budi") -> str:
        """A change made on the device by `who`; returns the line added."""
        script = self.scripts[name]
        n = len(script.changes) + 1
        kind = script.device.kind
        if kind is DeviceKind.MIKROTIK_ROUTEROS:
            line = f'/ip firewall filter add action=drop chain=input comment="lab change {n}"'
        elif kind is DeviceKind.CISCO_IOS:
            line = f"access-list 1{n:02d} deny any log"
        else:
            line = f"# lab change {n}"
        script.changes.append((line, who))
        if self.syslog is not None:  # the device's log says who, as a real one does
            said = {
                DeviceKind.MIKROTIK_ROUTEROS: f"system,info filter rule added by {who}",
                DeviceKind.CISCO_IOS: f"%SYS-5-CONFIG_I: Configured from console by {who} on vty0",
            }.get(kind, f"system,info,account config changed by {who}")
            send_syslog(self.inv, name, said, self.syslog)
        return line

    def scenario(self, name: str, which: str | None) -> None:
        script = self.scripts[name]
        script.truncated = which == "truncated"
        script.hang = which == "hang"
        script.slow = which == "slow"

    # --- serving -----------------------------------------------------------------------

    async def start(self) -> None:
        key = asyncssh.generate_private_key("ssh-ed25519")
        for script in self.scripts.values():
            address = str(script.device.address)
            server = await asyncssh.create_server(
                lambda: _Auth(self),
                address,
                self.port,
                server_host_keys=[key],
                process_factory=lambda p, s=script: self._session(p, s),
                encoding="utf-8",
                line_editor=True,
            )
            self.servers.append(server)

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
            await server.wait_closed()
        self.servers.clear()

    def prompt(self, script: DeviceScript) -> str:
        kind = script.device.kind
        name = script.device.name
        if kind is DeviceKind.MIKROTIK_ROUTEROS:
            return f"[{self.username}@{name}] > "
        if kind is DeviceKind.CISCO_IOS:
            return f"{name}#"
        return f"{self.username}@{name}:~$ "

    def answer(self, script: DeviceScript, command: str) -> str | None:
        """What the device prints for `command` (None: it never finishes)."""
        now = self.clock()
        kind = script.device.kind
        if kind is DeviceKind.MIKROTIK_ROUTEROS:
            if command.startswith("/export"):
                if script.hang:
                    return None
                return routeros_export(script, now)
            if command == "/system package print":
                return (
                    "Columns: NAME, VERSION, BUILD-TIME, SIZE\r\n"
                    "# NAME      VERSION  BUILD-TIME           SIZE    \r\n"
                    "0 routeros  7.16.2   2024-11-26 12:33:25  12.6MiB"
                )
            if command == "/system routerboard print":
                return (
                    "       routerboard: yes\r\n             model: RB4011iGS+\r\n"
                    f"     serial-number: HD{_stamp(script.device.name + 'sn')}\r\n"
                    "  current-firmware: 7.16.2"
                )
            if command.startswith("/log print"):
                return "\r\n".join(
                    f"dec/07 09:{10 + i:02d}:00 system,info filter rule added by {who}"
                    f"\r\ndec/07 09:{10 + i:02d}:01 system,info,account "
                    f"config changed by {who}"
                    for i, (_, who) in enumerate(script.changes)
                )
            return "bad command name " + command.split()[0].lstrip("/")
        if kind is DeviceKind.CISCO_IOS:
            if command in ("terminal width 511", "terminal length 0"):
                return ""
            if command == "show running-config":
                return None if script.hang else ios_running(script, now)
            if command == "show version":
                return ios_version(script, now)
            return "% Invalid input detected at '^' marker."
        return linux_file(script, command)

    async def _session(self, process: asyncssh.SSHServerProcess[str], script: DeviceScript) -> None:
        script.logins += 1
        script.open_sessions += 1
        prompt = self.prompt(script)

        async def show_prompt() -> None:
            if script.slow:
                process.stdout.write(prompt[:5])
                await asyncio.sleep(0.4)
                process.stdout.write(prompt[5:])
            else:
                process.stdout.write(prompt)

        try:
            await show_prompt()
            while True:
                try:
                    line = await process.stdin.readline()
                except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged):
                    continue
                if not line:
                    break
                command = line.strip()
                if command in ("quit", "exit", "logout", "/quit"):
                    break
                if command and script.slow:  # the line repainted: prompt and command again
                    process.stdout.write(f"\r{prompt}{command}\r\n")
                if command:
                    out = self.answer(script, command)
                    if out is None:  # hang: part of it, then nothing
                        process.stdout.write("# lab export started\r\n")
                        await asyncio.Event().wait()
                    if out:
                        process.stdout.write(out + "\r\n")
                await show_prompt()
        except (asyncssh.Error, OSError, asyncio.CancelledError):
            pass
        finally:
            script.open_sessions -= 1
            process.exit(0)


class _Auth(asyncssh.SSHServer):
    def __init__(self, lab: LabSsh) -> None:
        self.lab = lab

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        # RouterOS logins carry terminal options after a `+` (netmiko sends `+ct511w4098h`).
        return username.split("+", 1)[0] == self.lab.username and password == self.lab.password
