"""SNMPv3 USM protocol names from the inventory, mapped to pysnmp's identifiers."""

from __future__ import annotations

from pysnmp.entity import config

AUTH_PROTOCOLS: dict[str, tuple[int, ...]] = {
    "sha": config.USM_AUTH_HMAC96_SHA,
    "sha224": config.USM_AUTH_HMAC128_SHA224,
    "sha256": config.USM_AUTH_HMAC192_SHA256,
    "sha384": config.USM_AUTH_HMAC256_SHA384,
    "sha512": config.USM_AUTH_HMAC384_SHA512,
}

PRIV_PROTOCOLS: dict[str | None, tuple[int, ...]] = {
    None: config.USM_PRIV_NONE,
    "aes128": config.USM_PRIV_CFB128_AES,
    "aes192": config.USM_PRIV_CFB192_AES,
    "aes256": config.USM_PRIV_CFB256_AES,
}

# net-snmp command-line names (snmpget -a/-x) for the same protocols.
NETSNMP_AUTH = {
    "sha": "SHA",
    "sha224": "SHA-224",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
}
NETSNMP_PRIV = {"aes128": "AES", "aes192": "AES-192", "aes256": "AES-256"}
