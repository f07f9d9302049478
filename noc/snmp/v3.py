"""SNMPv3 user-based security (RFC 3414, RFC 7860, RFC 3826) for the lean client and the
simulated agents: password to key localisation, HMAC-SHA/SHA-2 authentication and AES-128 CFB
privacy."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from noc.snmp import ber

# auth protocol -> (hash name, digest bytes carried in msgAuthenticationParameters)
AUTH: dict[str, tuple[str, int]] = {
    "sha": ("sha1", 12),
    "sha224": ("sha224", 16),
    "sha256": ("sha256", 24),
    "sha384": ("sha384", 32),
    "sha512": ("sha512", 48),
}
PRIV_KEY_BYTES = {"aes128": 16}  # what this client encrypts itself; others go to pysnmp


@lru_cache(maxsize=256)
def password_to_key(password: bytes, hash_name: str) -> bytes:
    """RFC 3414 A.2: hash of the password repeated to one megabyte."""
    if not password:
        raise ValueError("empty passphrase")
    digest = hashlib.new(hash_name)
    repeated = password * (64 // len(password) + 2)
    count = 0
    while count < 1_048_576:
        offset = count % len(password)
        digest.update(repeated[offset : offset + 64])
        count += 64
    return digest.digest()


@lru_cache(maxsize=1024)
def localize(password: bytes, hash_name: str, engine_id: bytes) -> bytes:
    key = password_to_key(password, hash_name)
    return hashlib.new(hash_name, key + engine_id + key).digest()


@dataclass(frozen=True)
class UsmKeys:
    hash_name: str
    digest_len: int
    auth_key: bytes
    priv_key: bytes | None  # AES-128: the first 16 octets of the localised privacy key


def keys_for(
    auth_protocol: str, auth_pass: bytes, priv_pass: bytes | None, engine_id: bytes
) -> UsmKeys:
    hash_name, digest_len = AUTH[auth_protocol]
    auth_key = localize(auth_pass, hash_name, engine_id)
    priv_key = localize(priv_pass, hash_name, engine_id)[:16] if priv_pass else None
    return UsmKeys(hash_name, digest_len, auth_key, priv_key)


def sign(keys: UsmKeys, whole_message: bytes) -> bytes:
    """The digest over the message whose msgAuthenticationParameters are zeros."""
    return hmac.new(keys.auth_key, whole_message, keys.hash_name).digest()[: keys.digest_len]


def verify(keys: UsmKeys, message: bytes, offset: int, received: bytes) -> bool:
    if len(received) != keys.digest_len:
        return False
    zeroed = message[:offset] + bytes(len(received)) + message[offset + len(received) :]
    return hmac.compare_digest(sign(keys, zeroed), received)


def _iv(boots: int, engine_time: int, salt: bytes) -> bytes:
    return boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt


def encrypt(keys: UsmKeys, boots: int, engine_time: int, salt: bytes, plain: bytes) -> bytes:
    assert keys.priv_key is not None
    enc = Cipher(algorithms.AES(keys.priv_key), CFB(_iv(boots, engine_time, salt))).encryptor()
    return enc.update(plain) + enc.finalize()


def decrypt(keys: UsmKeys, boots: int, engine_time: int, salt: bytes, data: bytes) -> bytes:
    assert keys.priv_key is not None
    if len(salt) != 8:
        raise ValueError("msgPrivacyParameters is not 8 octets")
    dec = Cipher(algorithms.AES(keys.priv_key), CFB(_iv(boots, engine_time, salt))).decryptor()
    return dec.update(data) + dec.finalize()


def seal(
    keys: UsmKeys,
    msg_id: int,
    max_size: int,
    engine_id: bytes,
    boots: int,
    engine_time: int,
    user: bytes,
    scoped: bytes,
    salt: bytes,
    reportable: bool,
) -> bytes:
    """A v3 message carrying the scoped PDU `scoped`: authenticated, and encrypted with `salt`
    when the keys have privacy."""
    if keys.priv_key is not None:
        body = ber.tlv(ber.OCTET_STRING, encrypt(keys, boots, engine_time, salt, scoped))
        flags = 0x03
    else:
        salt, body, flags = b"", scoped, 0x01
    usm = ber.encode_usm(engine_id, boots, engine_time, user, bytes(keys.digest_len), salt)
    unsigned = ber.encode_v3_message(
        msg_id, max_size, flags | (0x04 if reportable else 0), usm, body
    )
    offset = ber.decode_v3_message(unsigned).auth_offset
    return unsigned[:offset] + sign(keys, unsigned) + unsigned[offset + keys.digest_len :]
