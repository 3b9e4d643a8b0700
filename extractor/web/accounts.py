"""Local reviewer accounts in the state store: scrypt password hashes, each account's creation audited.

An environment with single sign-on can instead let its proxy name the user in a trusted header
(app.py, off unless configured). Passwords are hashed with scrypt (RFC 7914; n=2^14, r=8, p=1, a
16-byte random salt per account), from the standard library; a hash is compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from pathlib import Path

from extractor.errors import ExtractorError
from extractor.release import audit_log, store

ROLES = ("reviewer", "requester", "admin")
_NAME = re.compile(r"^[\w.@+-]{1,64}$")
_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 10


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def add_user(out_root: Path, name: str, role: str, password: str) -> None:
    if not _NAME.match(name):
        raise ExtractorError(f"user {name!r}: expected 1-64 letters, digits or . @ + - _")
    if role not in ROLES:
        raise ExtractorError(f"--role {role!r}: expected one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ExtractorError(f"user {name}: the password must have at least {MIN_PASSWORD} characters")
    with audit_log.opened(out_root) as con:
        if store.user(con, name) is not None:
            raise ExtractorError(f"user {name}: already exists")
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        audit_log.append(con, "user-added", {"user": name, "role": role},
                         extra_sql=[store.insert_user(name, role, hash_password(password), at)])


def authenticate(out_root: Path, name: str, password: str) -> str | None:
    """The account's role when the password is right, else None (the same answer for an unknown name)."""
    with audit_log.opened(out_root) as con:
        found = store.user(con, name)
    if found is None:
        password_matches(password, hash_password("x" * MIN_PASSWORD))  # same work either way
        return None
    return found[0] if password_matches(password, found[1]) else None
