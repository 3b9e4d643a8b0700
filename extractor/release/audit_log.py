"""The append-only audit log: hash-chained, every record signed, the one source of the airlock's state.

Every record holds the hash of the one before it; its own hash covers its content and that link; its
signature (Ed25519, signing.py) covers its sequence number and hash. So an edit, a deletion inside the
log or a reordering breaks the chain, and a rewritten chain cannot be signed again without the key.
Deleting the newest records leaves a valid shorter chain: witnesses held outside the store
(witness.py) catch that. Runs, reviews, statuses, accounts and privacy spend are derived from the
records (airlock_state.py), never kept in tables an operator could edit. An append runs inside the
caller's write transaction (state_db.StateDB.writing), with the state change it records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pwd
from dataclasses import dataclass
from typing import Any

from extractor.errors import ExtractorError
from extractor.release.signing import Signer, verifies
from extractor.release.state_db import StateDB

GENESIS = "0" * 64
GENESIS_ACTION = "store-created"
_COLUMNS = "seq, recorded_at, actor, action, request_id, run_id, details, prev_hash, hash, signature"


@dataclass(frozen=True)
class Record:
    seq: int
    recorded_at: str
    actor: str
    action: str
    request_id: str | None
    run_id: str | None
    details: str
    prev_hash: str
    hash: str
    signature: str

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.details)

    def recomputed(self) -> str:
        return record_hash(self.prev_hash, _fields(self.seq, self.recorded_at, self.actor, self.action,
                                                   self.request_id, self.run_id, self.details))


def actor() -> str:
    """Who runs a command that acts as the operator (a run, an account added): the operating system's account
    of the process (from its user id, which an environment variable cannot change)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + canonical).encode()).hexdigest()


def signed_text(seq: int, digest: str) -> str:
    """What a record's signature covers; witnesses repeat it."""
    return f"extractor-audit:{seq}:{digest}"


def _fields(seq: int, at: str, who: str, action: str, request_id: str | None, run_id: str | None,
            details: str) -> dict[str, Any]:
    return {"seq": seq, "at": at, "actor": who, "action": action, "request_id": request_id, "run_id": run_id,
            "details": details}


def read(db: StateDB, after: int = 0, run_id: str | None = None) -> list[Record]:
    """Records after `after` (of one run), in order."""
    rows = db.rows(f"SELECT {_COLUMNS} FROM audit_log WHERE seq > ? "
                   "AND (CAST(? AS TEXT) IS NULL OR run_id = CAST(? AS TEXT)) ORDER BY seq", [after, run_id, run_id])
    return [Record(*row) for row in rows]


def head(db: StateDB) -> Record | None:
    row = db.one(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1")
    return Record(*row) if row else None


def append(db: StateDB, signer: Signer, action: str, details: dict[str, Any], *, request_id: str | None = None,
           run_id: str | None = None, who: str | None = None) -> Record:
    """Append one signed record; call inside db.writing(), with the state change it records."""
    last = head(db)
    if last is None:
        last = _write(db, signer, None, GENESIS_ACTION, {"public_key": signer.public, "store": db.kind}, None, None,
                      actor())
    return _write(db, signer, last, action, details, request_id, run_id, who or actor())


def _write(db: StateDB, signer: Signer, last: Record | None, action: str, details: dict[str, Any],
           request_id: str | None, run_id: str | None, who: str) -> Record:
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    body = json.dumps(details, sort_keys=True, ensure_ascii=False)
    digest = record_hash(prev, _fields(seq, at, who, action, request_id, run_id, body))
    record = Record(seq, at, who, action, request_id, run_id, body, prev, digest, signer.sign(signed_text(seq, digest)))
    db.execute(f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(vars(record).values()))
    return record


def public_key(records: list[Record]) -> str:
    if not records or records[0].action != GENESIS_ACTION:
        raise ExtractorError("audit log: its first record (the signing key's) is missing: the log was cut or replaced")
    return records[0].data["public_key"]


def check_chain(records: list[Record], public: str, prev: Record | None = None, signatures: bool = True) -> None:
    """Raise naming the first record that does not follow, was edited, or is not signed by `public`."""
    for record in records:
        expected_seq, expected_prev = (prev.seq + 1, prev.hash) if prev else (1, GENESIS)
        if record.seq != expected_seq:
            raise ExtractorError(f"audit log: record {expected_seq} is missing (next is {record.seq}): deleted")
        if record.prev_hash != expected_prev:
            raise ExtractorError(f"audit log: record {record.seq} does not follow record {record.seq - 1}: edited, "
                                 "deleted or reordered")
        if record.recomputed() != record.hash:
            raise ExtractorError(f"audit log: record {record.seq} ({record.action}) was edited after it was written")
        if (signatures or record is records[-1]) and not verifies(public, signed_text(record.seq, record.hash),
                                                                   record.signature):
            raise ExtractorError(f"audit log: record {record.seq} ({record.action}) is not signed by the log's key: "
                                 "rewritten")
        prev = record


def verify(db: StateDB) -> list[Record]:
    """Every record checked: chain, hashes and every signature. Returns the records."""
    records = read(db)
    if records:
        check_chain(records, public_key(records))
    return records
