"""Accounts of the airlock: who they are, their projects and roles, their password; each change a record.

An account's name is normalised (NFKC, case-folded), so `Alice` and `alice` are one account. Its
password hash (scrypt, RFC 7914: n=2^14, r=8, p=1, a 16-byte random salt; standard library) lives in the
store's credentials table, and the SHA-256 of that hash in the account's audit record: an operator who
puts their own hash into the table is refused at sign-in and named by `audit verify`. Hashes are
compared in constant time; an unknown name costs the same work as a wrong password.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from extractor.errors import ExtractorError
from extractor.release.airlock_state import ALL_PROJECTS, Account, normalise
from extractor.release.store import Store

PROJECT_ROLES = ("requester", "checker", "none")
_NAME = re.compile(r"^[\w.@+-]{1,64}$")
_PROJECT = re.compile(r"^[\w.-]{1,100}$|^\*$")
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


_DUMMY = hash_password("x" * MIN_PASSWORD)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def valid_name(name: str) -> str:
    normal = normalise(name)
    if not _NAME.match(normal):
        raise ExtractorError(f"account {name!r}: expected 1-64 letters, digits or . @ + - _")
    return normal


def _checked_password(name: str, password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ExtractorError(f"account {name}: the password must have at least {MIN_PASSWORD} characters")
    return hash_password(password)


def add_account(store: Store, name: str, password: str, *, admin: bool = False, email: str = "") -> str:
    normal = valid_name(name)
    hashed = _checked_password(normal, password)
    with store.writing() as w:
        if normal in w.state.accounts:
            raise ExtractorError(f"account {normal}: already exists")
        w.db.execute("DELETE FROM credentials WHERE account = ?", [normal])
        w.db.execute("INSERT INTO credentials VALUES (?, ?)", [normal, hashed])
        w.append("account-added", {"account": normal, "admin": admin, "email": email.strip(),
                                   "password_sha256": _sha(hashed)})
    return normal


def _existing(store_state_accounts: dict[str, Account], name: str) -> Account:
    found = store_state_accounts.get(normalise(name))
    if found is None:
        raise ExtractorError(f"account {name!r}: no such account (add it with `extractor users add`)")
    return found


def set_password(store: Store, name: str, password: str) -> None:
    with store.writing() as w:
        account = _existing(w.state.accounts, name)
        hashed = _checked_password(account.name, password)
        w.db.execute("UPDATE credentials SET password_hash = ? WHERE account = ?", [hashed, account.name])
        w.append("account-changed", {"account": account.name, "password_sha256": _sha(hashed)})


def set_email(store: Store, name: str, email: str) -> None:
    with store.writing() as w:
        account = _existing(w.state.accounts, name)
        w.append("account-changed", {"account": account.name, "email": email.strip()})


def set_language(store: Store, name: str, lang: str) -> None:
    from extractor.i18n import LANGUAGES

    if lang not in LANGUAGES:
        raise ExtractorError(f"language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    with store.writing() as w:
        account = _existing(w.state.accounts, name)
        w.append("account-changed", {"account": account.name, "language": lang})


def set_disabled(store: Store, name: str, disabled: bool) -> None:
    with store.writing() as w:
        account = _existing(w.state.accounts, name)
        w.append("account-changed", {"account": account.name, "disabled": disabled})


def grant(store: Store, name: str, project: str, role: str) -> None:
    """Make an account a requester or checker of a project ("*": a checker of every project), or neither."""
    if role not in PROJECT_ROLES:
        raise ExtractorError(f"--role {role!r}: expected one of {', '.join(PROJECT_ROLES)}")
    if not _PROJECT.match(project) or (project == ALL_PROJECTS and role == "requester"):
        raise ExtractorError(f"--project {project!r}: expected a project id (or '*' for a checker of every project)")
    with store.writing() as w:
        account = _existing(w.state.accounts, name)
        other = {"requester": "checker", "checker": "requester"}.get(role)
        if other and account.projects.get(project) == other:
            raise ExtractorError(f"account {account.name} is the {other} of {project}; one account may not be both "
                                 "(revoke with --role none first)")
        w.append("project-role", {"account": account.name, "project": project, "role": role})


def authenticate(store: Store, name: str, password: str) -> Account | None:
    """The account when the password is right and its hash is the one the log records, else None."""
    try:
        normal = valid_name(name)
    except ExtractorError:
        normal = None
    account = store.reading().account(normal) if normal else None
    row = None
    if account is not None:
        row = store.db().one("SELECT password_hash FROM credentials WHERE account = ?", [account.name])
    stored = row[0] if row else _DUMMY
    ok = password_matches(password, stored)  # the same work whether or not the account exists
    if account is None or row is None or not ok:
        return None
    if _sha(stored) != account.password_sha256:
        raise ExtractorError(f"account {account.name}: its password hash is not the one the audit log records: "
                             "the credentials were edited; sign-in refused")
    return account
