#!/usr/bin/env bash
# Makes sure the Debian packages the toolkit and its tests need are present.
# As root it installs what is missing; otherwise it prints the one command to run and stops.
set -euo pipefail

PACKAGES=(python3-venv python3-pip snmpd snmp prometheus prometheus-alertmanager prometheus-snmp-exporter iperf3 iproute2 chromium openssh-server poppler-utils systemd faketime softflowd nfdump)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Package scripts must not start system daemons (snmpd on :161 would collide with the lab).
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
