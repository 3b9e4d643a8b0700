"""The airlock: a checked run is submitted; two independent reviewers decide; an approved run is released.

The requester may not review their own request; a reviewer sees only their own decision until both
have decided (so the second is not swayed by the first). Both approve → approved; any reject →
rejected; otherwise returned. Release re-runs the output check, then copies the release folder and its
manifest atomically. Every step is an audit-log record written in the same transaction as the state.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from extractor.checker.release_check import check_release, sha256_file
from extractor.errors import ExtractorError
from extractor.faults import kill_point
from extractor.release import audit_log, store
from extractor.release.layout import RunFolder

DECISIONS = ("approve", "return", "reject")
REVIEWERS = 2


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def record_run(con: duckdb.DuckDBPyConnection, *, run_id: str, request_id: str, project: str, requester: str,
               requester_contact: str, run_dir: Path, details: dict[str, Any],
               extra_sql: list[tuple[str, list]] | None = None) -> None:
    seq, digest = audit_log.append(con, "run", details, request_id=request_id, run_id=run_id, extra_sql=[
        store.insert_run(run_id, request_id, project, requester, requester_contact, run_dir, _now()),
        *(extra_sql or [])])
    audit_log.write_anchor(run_dir, seq, digest)


def _run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    run = store.run(con, run_id)
    if run is None:
        raise ExtractorError(f"run {run_id}: not in this output root's store (was it run here?)")
    return run


def decide(con: duckdb.DuckDBPyConnection, run_id: str, reviewer: str, decision: str, comment: str = "") -> str:
    run = _run(con, run_id)
    if decision not in DECISIONS:
        raise ExtractorError(f"decision: expected one of {', '.join(DECISIONS)}, got {decision!r}")
    if reviewer.strip().lower() in {run["requester"].strip().lower(), run["contact"].strip().lower()}:
        raise ExtractorError(f"run {run_id}: {reviewer} made the request and may not review it")
    if run["status"] != "submitted":
        raise ExtractorError(f"run {run_id}: is {run['status']}, not awaiting review")
    done = store.decisions(con, run_id)
    if reviewer in done:
        raise ExtractorError(f"run {run_id}: {reviewer} has already decided")
    done[reviewer] = decision
    status = "submitted"
    if len(done) >= REVIEWERS:
        status = ("rejected" if "reject" in done.values() else
                  "approved" if all(d == "approve" for d in done.values()) else "returned")
    audit_log.append(con, "review", {"decision": decision, "comment": comment, "status_after": status},
                     request_id=run["request_id"], run_id=run_id, who=reviewer, extra_sql=[
                         store.insert_review(run_id, reviewer, decision, comment, _now()),
                         store.set_status(run_id, status)])
    return status


def visible_reviews(con: duckdb.DuckDBPyConnection, run_id: str, viewer: str) -> tuple[str, list[tuple]]:
    """What `viewer` may see: their own decision only, until every reviewer has decided."""
    run = _run(con, run_id)
    rows = store.reviews(con, run_id)
    if len(rows) >= REVIEWERS:
        return run["status"], rows
    return run["status"], [r for r in rows if r[0] == viewer]


def release(con: duckdb.DuckDBPyConnection, run_id: str, destination: Path, who: str | None = None) -> Path:
    run = _run(con, run_id)
    if run["status"] != "approved":
        raise ExtractorError(f"run {run_id}: is {run['status']}; only an approved run may be released")
    source = RunFolder(Path(run["run_dir"])).release
    report = check_release(source)
    if not report.passed:
        raise ExtractorError(f"run {run_id}: the output check now fails: {report.findings[0]}")
    final = destination / run["request_id"] / run_id
    files = {p.name: sha256_file(p) for p in sorted(source.iterdir())}
    if final.exists():
        # A release interrupted after the copy: finish it if the copy is intact, never overwrite.
        if {p.name: sha256_file(p) for p in sorted(final.iterdir())} != files:
            raise ExtractorError(f"{final}: exists and differs from the run's release; not overwritten")
    else:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{run_id}-", dir=final.parent))
        try:
            shutil.copytree(source, staging / "release")
            os.replace(staging / "release", final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    kill_point("release-record")
    audit_log.append(con, "release", {"to": str(final), "files": files}, request_id=run["request_id"],
                     run_id=run_id, who=who, extra_sql=[store.set_status(run_id, "released")])
    return final
