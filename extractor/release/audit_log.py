"""The append-only, hash-chained audit log, kept in the output root's embedded DuckDB store.

Every record holds the hash of the one before it, and its own hash covers its content and that link, so
`extractor audit verify` detects any edit, deletion or reordering. Each append is one DuckDB
transaction: a process killed mid-way leaves the log as it was, never half a record.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from extractor.errors import ExtractorError
from extractor.release import layout

GENESIS = "0" * 64
_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY, recorded_at VARCHAR NOT NULL, actor VARCHAR NOT NULL, action VARCHAR NOT NULL,
    request_id VARCHAR, run_id VARCHAR, details VARCHAR NOT NULL, prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, request_id VARCHAR NOT NULL, project VARCHAR NOT NULL, requester VARCHAR NOT NULL,
    requester_contact VARCHAR NOT NULL, run_dir VARCHAR NOT NULL, status VARCHAR NOT NULL, created_at VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS privacy_spend (
    run_id VARCHAR NOT NULL, project VARCHAR NOT NULL, output VARCHAR NOT NULL, epsilon DOUBLE NOT NULL,
    recorded_at VARCHAR NOT NULL, PRIMARY KEY (run_id, output));
CREATE TABLE IF NOT EXISTS reviews (
    run_id VARCHAR NOT NULL, reviewer VARCHAR NOT NULL, decision VARCHAR NOT NULL, comment VARCHAR,
    decided_at VARCHAR NOT NULL, PRIMARY KEY (run_id, reviewer));
CREATE TABLE IF NOT EXISTS users (
    name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, password_hash VARCHAR NOT NULL, created_at VARCHAR NOT NULL);
"""


def actor() -> str:
    return os.environ.get("EXTRACTOR_ACTOR") or getpass.getuser()


def connect(out_root: Path) -> duckdb.DuckDBPyConnection:
    path = layout.store(out_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(_SCHEMA)
    return con


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + canonical).encode()).hexdigest()


def _fields(seq: int, at: str, who: str, action: str, request_id: str | None, run_id: str | None,
            details: str) -> dict[str, Any]:
    return {"seq": seq, "at": at, "actor": who, "action": action, "request_id": request_id, "run_id": run_id,
            "details": details}


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def append(con: duckdb.DuckDBPyConnection, action: str, details: dict[str, Any], *, request_id: str | None = None,
           run_id: str | None = None, who: str | None = None,
           extra_sql: list[tuple[str, list]] | None = None) -> tuple[int, str]:
    """Append one record (and any state change given in extra_sql) in a single transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        last = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        body = json.dumps(details, sort_keys=True, ensure_ascii=False)
        fields = _fields(seq, at, who or actor(), action, request_id, run_id, body)
        digest = record_hash(prev, fields)
        con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [seq, at, fields["actor"], action, request_id, run_id, body, prev, digest])
        for sql, params in extra_sql or []:
            con.execute(sql, params)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return seq, digest




def write_anchor(folder: Path, seq: int, digest: str) -> None:
    """The log's head at a run, kept in the run's folder: truncating the log's tail then shows."""
    layout.RunFolder(folder).anchor.write_text(json.dumps({"seq": seq, "hash": digest}) + "\n", encoding="utf-8")


def verify_anchors(con: duckdb.DuckDBPyConnection, out_root: Path) -> int:
    """Every anchor under the output root must name a record that is still in the log, unchanged."""
    checked = 0
    for path in sorted(out_root.glob(f"*/*/{layout.ANCHOR}")):
        if path.parent.is_symlink():  # OUT/<request>/latest points at a run already counted
            continue
        anchor = json.loads(path.read_text(encoding="utf-8"))
        row = con.execute("SELECT hash FROM audit_log WHERE seq = ?", [anchor["seq"]]).fetchone()
        if row is None or row[0] != anchor["hash"]:
            raise ExtractorError(f"audit log: record {anchor['seq']} named by {path} is missing or changed: "
                                 "the log was truncated or rewritten")
        checked += 1
    return checked


def verify(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute the chain; raise naming the first record that does not fit. Returns the number of records."""
    rows = con.execute("SELECT seq, recorded_at, actor, action, request_id, run_id, details, prev_hash, hash "
                       "FROM audit_log ORDER BY seq").fetchall()
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        seq, at, who, action, request_id, run_id, details, prev_hash, digest = row
        if seq != expected_seq:
            raise ExtractorError(f"audit log: record {expected_seq} is missing (next is {seq}): deleted")
        if prev_hash != prev:
            raise ExtractorError(f"audit log: record {seq} does not follow record {seq - 1}: edited, deleted or "
                                 "reordered")
        if record_hash(prev_hash, _fields(seq, at, who, action, request_id, run_id, details)) != digest:
            raise ExtractorError(f"audit log: record {seq} ({action}) was edited after it was written")
        prev = digest
    return len(rows)


@contextmanager
def opened(out_root: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The output root's store, closed again however the block ends."""
    con = connect(out_root)
    try:
        yield con
    finally:
        con.close()


def verify_store(out_root: Path) -> tuple[int, int, str | None]:
    """(records, run anchors, head hash) of a verified log; one-line error naming what does not fit."""
    if not layout.store(out_root).is_file():
        raise ExtractorError(f"{out_root}: no audit log here ({layout.STORE})")
    with opened(out_root) as con:
        n = verify(con)
        anchors = verify_anchors(con, out_root)
        head = con.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return n, anchors, head[0] if head else None


def records(out_root: Path, run_id: str | None = None) -> list[tuple]:
    """seq, recorded_at, actor, action, request_id, run_id of every record (or one run's)."""
    with opened(out_root) as con:
        return con.execute("SELECT seq, recorded_at, actor, action, request_id, run_id FROM audit_log "
                           "WHERE ? IS NULL OR run_id = ? ORDER BY seq", [run_id, run_id]).fetchall()
