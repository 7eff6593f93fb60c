"""Field encryption (AES-GCM) and pseudonyms (HMAC-SHA256).

Names, dates of birth and document numbers are the fields whose leak can get
someone hurt, so they are encrypted before they reach the database. The key
file holds two independent keys: one to encrypt, one to derive ``person_key``
pseudonyms, so linkage can run on pseudonyms without the power to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import stat
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ctdata.config import settings
from ctdata.errors import ConfigError
from ctdata.store.files import create_private_once

_VERSION = b"\x01"

#: When each key last encrypted in this process (a counter, not a clock): lets a commit check, under the
#: store's write lock, that what its transaction encrypted is under the store's key (`encrypted_since`)
_uses = itertools.count(1)
_last_use: dict[str, int] = {}


def encryption_mark() -> int:
    """A point in this process's encryptions, for `encrypted_since`."""
    return next(_uses)


def encrypted_since(mark: int) -> set[str]:
    """The keys (ids) this process has encrypted with since `mark` (any thread: a superset of one transaction's)."""
    return {key_id for key_id, n in list(_last_use.items()) if n > mark}


@dataclass(frozen=True)
class KeyRing:
    enc_key: bytes
    mac_key: bytes
    key_id: str
    #: a key to decrypt with when this one does not: a key rotation's staged new key (`keyring`)
    fallback: KeyRing | None = field(default=None, compare=False, repr=False)

    @property
    def _aead(self) -> AESGCM:
        aead = self.__dict__.get("_aead_cache")
        if aead is None:
            aead = AESGCM(self.enc_key)
            object.__setattr__(self, "_aead_cache", aead)
        return aead

    def encrypt(self, value: str | None, context: str = "") -> bytes | None:
        """Encrypt one field; the context (field name) is bound as associated data."""
        if value is None or value == "":
            return None
        self.note_use()
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, value.encode("utf-8"), context.encode())

    def note_use(self) -> None:
        """Record that this key encrypts now (called by `encrypt`; by a caller handing it to other processes)."""
        _last_use[self.key_id] = next(_uses)

    def decrypt(self, blob: bytes | None, context: str = "") -> str | None:
        if blob is None:
            return None
        blob = bytes(blob)
        if blob[:1] != _VERSION:
            raise ConfigError("encrypted field has an unknown format version")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], context.encode()).decode("utf-8")
        except InvalidTag:
            if self.fallback is not None:
                return self.fallback.decrypt(blob, context)
            raise ConfigError("cannot decrypt a protected field: wrong key file for this database") from None

    def pseudonym(self, *parts: object, purpose: str = "person") -> str:
        """Keyed, deterministic pseudonym of normalised parts (same input, same pseudonym)."""
        text = "\x1f".join(_norm(p) for p in parts)
        digest = hmac.new(self.mac_key, f"{purpose}\x1e{text}".encode(), hashlib.sha256).hexdigest()
        return digest[:32]

    def encrypt_many(self, values: list[str | None], context: str = "") -> list[bytes | None]:
        """`encrypt` of many values of one field (bulk imports): one call for all nonces.

        Each value still gets its own random 96-bit nonce; drawing them from one
        ``os.urandom`` call only saves a system call per field (a nonce drawn for
        an empty value is simply not used).
        """
        n = len(values)
        if not n:
            return []
        self.note_use()
        pool = os.urandom(12 * n)
        nonces = [pool[k : k + 12] for k in range(0, 12 * n, 12)]
        enc = self._aead.encrypt
        ad = context.encode()
        v1 = _VERSION
        return [
            v1 + nonce + enc(nonce, v.encode("utf-8"), ad) if v else None
            for v, nonce in zip(values, nonces)  # noqa: B905 - one nonce per value
        ]

    def pseudonyms(self, rows: list[tuple[object, ...]], purpose: str = "person") -> list[str]:
        """`pseudonym(*parts, purpose=...)` of many rows at once (same answers, one HMAC key set-up)."""
        if not rows:
            return []
        width = len(rows[0])
        if any(len(r) != width for r in rows):
            return [self.pseudonym(*r, purpose=purpose) for r in rows]
        return self.pseudonym_columns([list(c) for c in zip(*rows)], purpose=purpose)  # noqa: B905

    def pseudonym_columns(self, columns: list[list[object]], purpose: str = "person") -> list[str]:
        """`pseudonyms` of rows given column by column (the bulk import's hot loop).

        Names and dates repeat, so each distinct value of a column is normalised
        once (the memo lives only for this call: no plaintext is kept afterwards);
        the HMAC is the textbook construction on SHA-256 states prepared once for
        the key, which gives the same digests as ``hmac.new`` at a third of the cost.
        """
        normed = []
        for col in columns:
            memo = {u: _norm(u) for u in set(col)}
            normed.append(map(memo.__getitem__, col))
        texts = map("\x1f".join, zip(*normed))  # noqa: B905 - columns of one batch
        prefix = f"{purpose}\x1e".encode()
        inner, outer = self._hmac_states
        out = []
        append = out.append
        icopy, ocopy = inner.copy, outer.copy
        for t in texts:
            i = icopy()
            i.update(prefix + t.encode())
            o = ocopy()
            o.update(i.digest())
            append(o.hexdigest()[:32])
        return out

    @property
    def _hmac_states(self) -> tuple[Any, Any]:
        """SHA-256 states after the HMAC key's inner and outer pads (RFC 2104)."""
        states = self.__dict__.get("_hmac_cache")
        if states is None:
            key = self.mac_key if len(self.mac_key) <= 64 else hashlib.sha256(self.mac_key).digest()
            key = key.ljust(64, b"\0")
            states = (
                hashlib.sha256(bytes(b ^ 0x36 for b in key)),
                hashlib.sha256(bytes(b ^ 0x5C for b in key)),
            )
            object.__setattr__(self, "_hmac_cache", states)
        return states

    @property
    def digest_key(self) -> bytes:
        """The key of the row digests an import compares (``row_hash``).

        A digest of a row as given holds its names and date of birth: unkeyed, anyone holding the
        database could confirm a guessed name by hashing the guess, the encryption of the names
        notwithstanding. Derived from the MAC key, which a rotation of the encryption key keeps."""
        key = self.__dict__.get("_digest_key")
        if key is None:
            key = hmac.new(self.mac_key, b"row-digest", hashlib.sha256).digest()
            object.__setattr__(self, "_digest_key", key)
        return key

    def record_keys(self, ids: list[int]) -> list[str]:
        """Pseudonyms of many case ids at once (the warehouse build's hot loop)."""
        base = hmac.new(self.mac_key, digestmod=hashlib.sha256)
        out = []
        for i in ids:
            h = base.copy()
            h.update(f"record\x1e{i}".encode())
            out.append(h.hexdigest()[:32])
        return out


def _norm(value: object) -> str:
    if value is None:
        return ""
    s = unicodedata.normalize("NFKC", str(value)).casefold()
    return " ".join(s.split())


def _create(path: Path) -> None:
    data = {
        "version": 1,
        "enc_key": base64.b64encode(AESGCM.generate_key(bit_length=256)).decode(),
        "mac_key": base64.b64encode(os.urandom(32)).decode(),
    }
    create_private_once(path, json.dumps(data).encode())  # another process's key, if first, wins


def load_keyring(path: Path | None = None, *, create: bool = True) -> KeyRing:
    """Load the key file, creating it (mode 0600) on first use (unless not `create`: FileNotFoundError)."""
    path = Path(path or settings().key_file)
    if create and not path.exists():
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path}: key file is readable by others (mode {oct(mode)}); run chmod 600 on it")
    try:
        data = json.loads(path.read_text())
        enc, mac = base64.b64decode(data["enc_key"]), base64.b64decode(data["mac_key"])
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: not a ctdata key file ({exc})") from None
    if len(enc) != 32 or len(mac) != 32:
        raise ConfigError(f"{path}: keys must be 256-bit")
    return KeyRing(enc, mac, hashlib.sha256(enc + mac).hexdigest()[:12])


@lru_cache(maxsize=4)
def keyring_for(path: str, _version: tuple[int, int] | None = None) -> KeyRing:
    """The key ring of a key file, read once per version of the file (`_version`: its inode and mtime)."""
    return load_keyring(Path(path))


def _file_version(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def keyring() -> KeyRing:
    """The configured key ring. A missing key file is created only for a store with nothing encrypted yet.

    The store is asked first (``db.upgrade`` checks its key): with encrypted data in it, a missing
    key file is refused instead of being replaced by a new key. Read again when the file changes: a
    server running while `ctdata keys rotate` puts a new key file in place (a new inode) must take it,
    not read the re-encrypted fields, and encrypt what it writes, with the old key.

    Between a rotation's commit and its new key file's move into place, the fields are under the new
    key, staged beside the key file (`<key>.new`): decryption falls back to it. Encryption keeps the
    file's key, which the commit then refuses (`audit._check_encryption_key`): try again.
    """
    path = settings().key_file
    staged = path.with_name(path.name + ".new")
    staged_version = _file_version(staged)  # first: it is gone only once the key file is the new key
    version = _file_version(path)
    if version is None:
        from ctdata.store import db  # db imports this module

        db.upgrade()
        version = _file_version(path)
    ring = keyring_for(str(path), version)
    if staged_version is None:
        return ring
    try:
        return _with_fallback(ring, _staged_keyring(str(staged), staged_version))
    except (ConfigError, OSError):  # a half-written or foreign file: no fallback
        return ring


@lru_cache(maxsize=4)
def _staged_keyring(path: str, _version: tuple[int, int]) -> KeyRing:
    return load_keyring(Path(path), create=False)  # never made here: gone meanwhile is FileNotFoundError


@lru_cache(maxsize=4)
def _with_fallback(ring: KeyRing, other: KeyRing) -> KeyRing:
    return ring if other.key_id == ring.key_id else replace(ring, fallback=other)


@dataclass(frozen=True)
class AuditKey:
    """The key of the audit chain: an HMAC key of its own, in a file beside the encryption keys.

    Without it a rewritten log cannot be made to verify: deleting entries and recomputing the
    later hashes needs the key, not only write access to the database.
    """

    key: bytes
    key_id: str

    def mac(self, *parts: str) -> str:
        return hmac.new(self.key, "\x1e".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


def audit_key_path(key_file: Path | None = None) -> Path:
    """The audit key lives beside the encryption key file: `<key dir>/audit.key`."""
    return Path(key_file or settings().key_file).with_name("audit.key")


def load_audit_key(path: Path | None = None, *, create: bool = False) -> AuditKey | None:
    """The audit key at `path` (default beside the key file); None when it is missing and not to be created."""
    path = Path(path or audit_key_path())
    if not path.exists():
        if not create:
            return None
        data = {"version": 1, "audit_key": base64.b64encode(os.urandom(32)).decode()}
        create_private_once(path, json.dumps(data).encode())  # another caller's key, if first, wins
    return _read_audit_key(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _read_audit_key(path: str, _mtime: int) -> AuditKey:
    p = Path(path)
    mode = stat.S_IMODE(p.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{p}: audit key file is readable by others (mode {oct(mode)}); run chmod 600 on it")
    try:
        key = base64.b64decode(json.loads(p.read_text())["audit_key"])
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"{p}: not a ctdata audit key file ({exc})") from None
    if len(key) != 32:
        raise ConfigError(f"{p}: the audit key must be 256-bit")
    return AuditKey(key, hashlib.sha256(b"audit\x1e" + key).hexdigest()[:12])
