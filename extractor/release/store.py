"""Every SQL statement on the state store's tables (runs, reviews, privacy spend) outside the audit log's own.

Statements that change a table are returned as (sql, parameters) so that they run inside the audit log's
append transaction (audit_log.append(..., extra_sql=...)): a state change and its audit record are one
commit or neither. Queries take an open connection (audit_log.opened).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

Statement = tuple[str, list[Any]]
_RUN_FIELDS = ("run_id", "request_id", "requester", "contact", "run_dir", "status")


def insert_run(run_id: str, request_id: str, project: str, requester: str, contact: str, run_dir: Path,
               at: str) -> Statement:
    return ("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, 'submitted', ?)",
            [run_id, request_id, project, requester, contact, str(run_dir), at])


def set_status(run_id: str, status: str) -> Statement:
    return ("UPDATE runs SET status = ? WHERE run_id = ?", [status, run_id])


def insert_review(run_id: str, reviewer: str, decision: str, comment: str, at: str) -> Statement:
    return ("INSERT INTO reviews VALUES (?, ?, ?, ?, ?)", [run_id, reviewer, decision, comment, at])


def run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    row = con.execute("SELECT run_id, request_id, requester, requester_contact, run_dir, status FROM runs "
                      "WHERE run_id = ?", [run_id]).fetchone()
    return None if row is None else dict(zip(_RUN_FIELDS, row, strict=True))


def decisions(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    return dict(con.execute("SELECT reviewer, decision FROM reviews WHERE run_id = ?", [run_id]).fetchall())


def reviews(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple]:
    """reviewer, decision, comment, decided_at of a run, in the order they were made."""
    return con.execute("SELECT reviewer, decision, comment, decided_at FROM reviews WHERE run_id = ? "
                       "ORDER BY decided_at", [run_id]).fetchall()


def released_runs_of(con: duckdb.DuckDBPyConnection, project: str) -> list[tuple[str, str]]:
    """run_id, run_dir of a project's released runs, oldest first."""
    return con.execute("SELECT run_id, run_dir FROM runs WHERE project = ? AND status = 'released' "
                       "ORDER BY created_at", [project]).fetchall()


def releases(con: duckdb.DuckDBPyConnection, year: int | None = None) -> list[tuple[str, str, str, str]]:
    """run_id, released at, the run's audit details (JSON) and run_dir of every release (of one year)."""
    return con.execute("""
        SELECT r.run_id, r.recorded_at, run.details, runs.run_dir FROM audit_log r
        JOIN audit_log run ON run.run_id = r.run_id AND run.action = 'run'
        JOIN runs ON runs.run_id = r.run_id
        WHERE r.action = 'release' AND (? IS NULL OR substr(r.recorded_at, 1, 4) = CAST(? AS VARCHAR))
        ORDER BY r.seq""", [year, year]).fetchall()


def spent(con: duckdb.DuckDBPyConnection, project: str) -> float:
    return float(con.execute("SELECT coalesce(sum(epsilon), 0) FROM privacy_spend WHERE project = ?",
                             [project]).fetchone()[0])


def charge(run_id: str, project: str, asked: dict[str, float], budget: float, at: str) -> list[Statement]:
    """The spend of a run, guarded inside its transaction against a concurrent run that spent first."""
    guard = ("SELECT CASE WHEN (SELECT coalesce(sum(epsilon), 0) FROM privacy_spend WHERE project = ?) + ? > ? "
             "THEN error('privacy budget exceeded by a concurrent run') END",
             [project, sum(asked.values()), budget + 1e-12])
    return [guard, *[("INSERT INTO privacy_spend VALUES (?, ?, ?, ?, ?)", [run_id, project, name, eps, at])
                     for name, eps in asked.items()]]


def all_runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every run, newest first, with its run record's details (title, purpose, outputs) from the audit log."""
    rows = con.execute("""
        SELECT r.run_id, r.request_id, r.project, r.requester, r.requester_contact, r.run_dir, r.status,
               r.created_at, a.details
        FROM runs r LEFT JOIN audit_log a ON a.run_id = r.run_id AND a.action = 'run'
        ORDER BY r.created_at DESC, r.run_id DESC""").fetchall()
    keys = ("run_id", "request_id", "project", "requester", "contact", "run_dir", "status", "created_at", "details")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def insert_user(name: str, role: str, password_hash: str, at: str) -> Statement:
    return ("INSERT INTO users VALUES (?, ?, ?, ?)", [name, role, password_hash, at])


def user(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, str] | None:
    """(role, password hash) of a local account."""
    row = con.execute("SELECT role, password_hash FROM users WHERE name = ?", [name]).fetchall()
    return (row[0][0], row[0][1]) if row else None
