"""The state store under several processes at once, on both backends: SQLite in WAL mode (the embedded
default) and PostgreSQL (a temporary Debian cluster on loopback). Every append lands exactly once, the chain
verifies, and the whole airlock story runs on PostgreSQL with the same results."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest
from postgres_cluster import new_database, temporary_cluster

from builders import PASSWORD, submitted_run
from conftest import run_env
from extractor.errors import ExtractorError
from extractor.release import audit_log, workflow
from extractor.release.store import opened
from extractor.release.verify import verify_store


@pytest.fixture(scope="module")
def postgres():
    with temporary_cluster() as base:
        yield base


def _append(out: str, state: str | None, n: int) -> None:
    with opened(Path(out), state) as store:
        for i in range(n):
            with store.writing() as w:
                w.append("check", {"i": i})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_four_processes_appending_at_once_leave_one_valid_chain(backend: str, tmp_path: Path, request) -> None:
    state = new_database(request.getfixturevalue("postgres"), "appends") if backend == "postgresql" else None
    out = tmp_path / "out"
    _append(str(out), state, 1)  # the store and its key, made once
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append, args=(str(out), state, 25)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with opened(out, state) as store:
        records = audit_log.verify(store.db())
    assert [r.seq for r in records] == list(range(1, 103))  # the key record, 1 + 4 × 25 appends
    assert verify_store(out, state).records == 102


def test_the_airlock_story_on_postgresql(postgres: str, tmp_path: Path) -> None:
    url = new_database(postgres, "story")
    cfg, out, _ = submitted_run(tmp_path / "first")  # a world to reuse; its own root stays SQLite
    from conftest import TEST_KEY
    from extractor.pipeline import run_extract

    shared = tmp_path / "shared"
    with opened(shared, url) as store:
        from extractor.release.accounts import add_account, grant

        for name in ("alice", "bob", "r"):
            add_account(store, name, PASSWORD)
            grant(store, name, "T-1", "requester" if name == "r" else "checker")
    run_id = run_extract(cfg, shared, TEST_KEY.encode(), state=url).run_id
    env = {**run_env(), "EXTRACTOR_STATE": url, "EXTRACTOR_PASSWORD": PASSWORD}
    procs = [subprocess.Popen([sys.executable, "-m", "extractor.cli", "review", "decide", run_id, "--decision",
                               "approve", "--as", who, "--out", str(shared)], env=env, stderr=subprocess.PIPE,
                              text=True)
             for who in ("alice", "bob")]  # both at once
    assert [p.wait(120) for p in procs] == [0, 0], [p.stderr.read() for p in procs]
    with opened(shared, url) as store:
        assert store.reading().run(run_id).status == "approved"
        final = workflow.release(store, "alice", run_id, tmp_path / "released")
    assert (final / "t.csv").is_file()
    assert verify_store(shared, url).witnesses >= 3
    with pytest.raises(ExtractorError, match="keeps its state in PostgreSQL"):
        verify_store(shared)  # the root remembers its store: no second, empty SQLite store
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:  # an index that refuses one checker's rejection
        con.execute("CREATE UNIQUE INDEX no_rejects ON audit_log ((1)) WHERE action = 'review' AND details LIKE "
                    "'%reject%'")
    with pytest.raises(ExtractorError, match="index no_rejects added by hand"):
        verify_store(shared, url)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP INDEX no_rejects")
        con.execute("ALTER TABLE audit_log ADD COLUMN v INTEGER DEFAULT 0 CHECK (v = 0)")
    with pytest.raises(ExtractorError, match="added by hand"):
        verify_store(shared, url)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("ALTER TABLE audit_log DROP COLUMN v")
        con.execute("UPDATE audit_log SET actor = 'mallory' WHERE action = 'review'")
    with pytest.raises(ExtractorError, match="was edited"):
        verify_store(shared, url)


def test_a_bad_connection_string_is_one_line_without_the_password(tmp_path: Path, postgres: str) -> None:
    wrong = postgres.replace("pg-test-password", "not-the-password") + "/postgres"
    for state in (wrong, "postgresql://nobody:hunter2hunter2@127.0.0.1:1/x"):
        proc = subprocess.run([sys.executable, "-m", "extractor.cli", "audit", "verify", "--out", str(tmp_path / "o"),
                               "--state", state], env={**run_env(), "PGCONNECT_TIMEOUT": "3"}, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "not-the-password" not in proc.stderr and "hunter2" not in proc.stderr
