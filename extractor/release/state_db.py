"""The state store's connection: SQLite in WAL mode by default, PostgreSQL for a shared deployment.

Why these two: the server, CLI commands and runs must use one store at once. SQLite's write-ahead log
lets readers go on while one writer appends, and `BEGIN IMMEDIATE` with a busy timeout queues writers
instead of failing them; PostgreSQL serves processes on several machines. Every statement is written
once with `?` placeholders (translated for psycopg). A write transaction takes the store's one writer
lock first (SQLite: BEGIN IMMEDIATE; PostgreSQL: LOCK TABLE … EXCLUSIVE), so the audit chain and every
check made inside the transaction see the same, final state.

Which store an output root uses is written once, in `OUT/.extractor/store.toml` (without any password):
a process started on that root without `--state` then refuses instead of opening a second, empty store.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.errors import ExtractorError
from extractor.release import layout

BUSY_SECONDS = 60.0  # how long a writer waits for another's lock (EXTRACTOR_STATE_BUSY_SECONDS) before failing
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS audit_log (seq BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL, actor TEXT NOT NULL, "
    "action TEXT NOT NULL, request_id TEXT, run_id TEXT, details TEXT NOT NULL, prev_hash TEXT NOT NULL, "
    "hash TEXT NOT NULL, signature TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_log_run ON audit_log (run_id)",
    "CREATE TABLE IF NOT EXISTS credentials (account TEXT PRIMARY KEY, password_hash TEXT NOT NULL)",
)


_COLUMNS = ("seq", "recorded_at", "actor", "action", "request_id", "run_id", "details", "prev_hash", "hash",
            "signature", "account", "password_hash")


def _sqlite_text(statement: str) -> str:
    """A schema statement as SQLite keeps it in sqlite_master (without IF NOT EXISTS)."""
    return statement.replace(" IF NOT EXISTS", "", 1)


def scrub(text: str, url: str | None) -> str:
    """An error message without the password of a connection string."""
    text = re.sub(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    password = re.search(r"password=(\S+)", url or "")
    return text.replace(password.group(1), "***") if password else text


@dataclass(frozen=True)
class Location:
    """Where an output root's state lives: its SQLite file, or a PostgreSQL connection string."""

    out_root: Path
    url: str | None = None  # postgresql://… ; None: the embedded SQLite file

    @property
    def kind(self) -> str:
        return "postgresql" if self.url else "sqlite"


def locate(out_root: Path, state: str | None = None) -> Location:
    """The store of `out_root`: `--state`, else EXTRACTOR_STATE, else what the root recorded, else SQLite."""
    given = state or os.environ.get("EXTRACTOR_STATE") or None
    if given and not re.match(r"^postgres(ql)?://", given) and given != "sqlite":
        raise ExtractorError(f"--state: expected 'sqlite' or a postgresql:// connection string, got {given[:20]!r}")
    url = given if given and given != "sqlite" else None
    marker = out_root / layout.STORE_KIND
    recorded = marker.read_text(encoding="utf-8").split('"')[1] if marker.is_file() else None
    if recorded == "postgresql" and url is None:
        raise ExtractorError(f"{out_root}: this output root keeps its state in PostgreSQL; give --state "
                             "postgresql://… or set EXTRACTOR_STATE")
    if recorded == "sqlite" and url is not None:
        raise ExtractorError(f"{out_root}: this output root keeps its state in {layout.STORE}; a PostgreSQL "
                             "store was asked for (--state): refused, one root has one store")
    return Location(out_root, url)


class StateDB:
    """One open connection to the store, with `?` statements and writer-locked transactions."""

    def __init__(self, location: Location) -> None:
        self.location = location
        self.kind = location.kind
        try:
            self._con = self._open(location)
            for statement in _SCHEMA:
                self._con.execute(statement)
        except ExtractorError:
            raise
        except Exception as exc:  # noqa: BLE001 - a driver's error, told in one line without the password
            raise ExtractorError(f"state store ({location.kind}): {scrub(str(exc).splitlines()[0], location.url)}") \
                from None
        self._record_kind()

    def _open(self, location: Location) -> Any:
        if location.url:
            import psycopg

            busy = float(os.environ.get("EXTRACTOR_STATE_BUSY_SECONDS") or BUSY_SECONDS)
            return psycopg.connect(location.url, autocommit=True, connect_timeout=10,
                                   options=f"-c lock_timeout={int(busy * 1000)}")
        path = layout.store(location.out_root)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # the store holds password hashes
        busy = float(os.environ.get("EXTRACTOR_STATE_BUSY_SECONDS") or BUSY_SECONDS)
        con = sqlite3.connect(path, timeout=busy, isolation_level=None, check_same_thread=False)
        con.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        return con

    def _record_kind(self) -> None:
        marker = self.location.out_root / layout.STORE_KIND
        if not marker.exists():
            marker.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = marker.with_name(f".{marker.name}.{os.getpid()}")
            tmp.write_text(f'kind = "{self.kind}"\n', encoding="utf-8")
            os.replace(tmp, marker)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.kind == "postgresql" else sql

    def _run(self, sql: str, params: list[Any] | tuple) -> Any:
        try:
            return self._con.execute(self._sql(sql), list(params))
        except Exception as exc:  # noqa: BLE001 - a driver's error, one line without the password
            raise self._error(exc) from None

    def _error(self, exc: Exception) -> ExtractorError:
        first = (str(exc).splitlines() or [""])[0]
        return ExtractorError(f"state store ({self.kind}): {scrub(first, self.location.url)}")

    def rows(self, sql: str, params: list[Any] | tuple = ()) -> list[tuple]:
        return [tuple(r) for r in self._run(sql, params).fetchall()]

    def one(self, sql: str, params: list[Any] | tuple = ()) -> tuple | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def execute(self, sql: str, params: list[Any] | tuple = ()) -> None:
        self._run(sql, params)

    @contextmanager
    def writing(self) -> Iterator[StateDB]:
        """One write transaction holding the store's writer lock; rolled back on any exception."""
        if self.kind == "postgresql":
            self._run("BEGIN", ())
            self._run("LOCK TABLE audit_log IN EXCLUSIVE MODE", ())
        else:
            self._run("BEGIN IMMEDIATE", ())
        try:
            yield self
        except BaseException:
            with suppress(Exception):
                self._con.execute("ROLLBACK")
            raise
        self._run("COMMIT", ())

    def foreign_objects(self) -> list[str]:
        """Triggers, views, rules, indexes, constraints, columns or tables someone added to the store: each could
        block or alter appends unseen (a partial unique index refusing one checker's rejection, a CHECK)."""
        if self.kind == "postgresql":
            rows = self.rows(
                "SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
                "('audit_log'::regclass, 'credentials'::regclass) UNION ALL SELECT 'rule ' || rulename "
                "FROM pg_rules WHERE tablename IN ('audit_log', 'credentials') UNION ALL SELECT 'index ' || indexname "
                "FROM pg_indexes WHERE tablename IN ('audit_log', 'credentials') AND indexname NOT IN "
                "('audit_log_pkey', 'audit_log_run', 'credentials_pkey') UNION ALL SELECT 'constraint ' || conname "
                "FROM pg_constraint WHERE conrelid IN ('audit_log'::regclass, 'credentials'::regclass) "
                "AND contype <> 'p' UNION ALL SELECT 'column ' || table_name || '.' || column_name FROM "
                "information_schema.columns WHERE table_schema = current_schema() AND table_name IN ('audit_log', "
                "'credentials') AND column_name NOT IN (" + ", ".join(f"'{c}'" for c in _COLUMNS) + ")")
            return sorted(r[0] for r in rows)
        expected = {_sqlite_text(statement) for statement in _SCHEMA}
        rows = self.rows("SELECT type, name, sql FROM sqlite_master")
        return sorted(f"{kind} {name}" for kind, name, sql in rows
                      if not (sql is None and name.startswith("sqlite_autoindex_")) and sql not in expected)

    def close(self) -> None:
        with suppress(Exception):
            self._con.close()


@contextmanager
def opened(location: Location) -> Iterator[StateDB]:
    db = StateDB(location)
    try:
        yield db
    finally:
        db.close()
