"""Sizing to the machine (cgroup limits, options, environment) and the run's private scratch folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from extractor import machine, workspace
from extractor.errors import ExtractorError

GIB = 2**30


def cgroup(tmp_path: Path, cpu_max: str | None = None, memory_max: str | None = None,
           v1_quota: str | None = None, v1_memory: str | None = None) -> Path:
    root = tmp_path / "cgroup"
    (root / "cpu").mkdir(parents=True)
    (root / "memory").mkdir()
    for path, value in ((root / "cpu.max", cpu_max), (root / "memory.max", memory_max),
                        (root / "cpu" / "cpu.cfs_quota_us", v1_quota), (root / "memory" / "memory.limit_in_bytes",
                                                                        v1_memory)):
        if value is not None:
            path.write_text(value + "\n")
    if v1_quota is not None:
        (root / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    return root


def physical() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


CPUS = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(("files", "threads", "memory"), [
    ({}, CPUS, physical() // 2),                                                       # no cgroup files
    ({"cpu_max": "max 100000", "memory_max": "max"}, CPUS, physical() // 2),          # v2, unlimited
    ({"cpu_max": "100000 100000", "memory_max": str(4 * GIB)}, 1, 2 * GIB),           # v2: 1 CPU, 4 GiB
    ({"cpu_max": "150000 100000"}, 1, physical() // 2),                               # 1.5 CPUs -> 1 thread
    ({"cpu_max": "6400000 100000"}, CPUS, physical() // 2),                           # quota above the CPUs
    ({"v1_quota": "-1", "v1_memory": str(2**63 - 4096)}, CPUS, physical() // 2),      # v1, unlimited
    ({"v1_quota": "100000", "v1_memory": str(GIB)}, 1, GIB // 2),                     # v1: 1 CPU, 1 GiB
])
def test_defaults_follow_the_container(tmp_path: Path, files: dict, threads: int, memory: int) -> None:
    limits = machine.resolve(env={}, cgroup=cgroup(tmp_path, **files))
    assert limits.threads == min(threads, CPUS)
    assert abs(limits.memory_bytes - memory) <= 1
    assert limits.temp_dir is None


def test_options_beat_environment_beats_machine(tmp_path: Path) -> None:
    env = {"EXTRACTOR_THREADS": "3", "EXTRACTOR_MEMORY_LIMIT": "6GB", "EXTRACTOR_TEMP_DIR": str(tmp_path)}
    from_env = machine.resolve(env=env)
    assert (from_env.threads, from_env.memory_bytes, from_env.temp_dir) == (3, 6 * 10**9, tmp_path)
    assert from_env.threads_from == "EXTRACTOR_THREADS"
    given = machine.resolve(5, "512MiB", tmp_path / "x", env=env)
    assert (given.threads, given.memory_bytes, given.temp_dir) == (5, 512 * 2**20, tmp_path / "x")
    assert given.memory_limit == "512MiB"
    assert "5 thread(s) (--threads)" in given.describe()


@pytest.mark.parametrize(("text", "expected"), [
    ("16GB", 16 * 10**9), ("16gb", 16 * 10**9), ("4g", 4 * 10**9), ("512MiB", 512 * 2**20), ("1.5GiB", int(1.5 * GIB)),
    ("1073741824", GIB), (" 2 GB ", 2 * 10**9),
])
def test_memory_sizes(text: str, expected: int) -> None:
    assert machine.parse_size(text, "--memory-limit") == expected


@pytest.mark.parametrize("text", ["", "lots", "8 parsecs", "-1GB", "0", "GB"])
def test_bad_memory_size_is_one_line_naming_the_source(text: str) -> None:
    with pytest.raises(ExtractorError, match=r"^EXTRACTOR_MEMORY_LIMIT: expected a memory size"):
        machine.resolve(env={"EXTRACTOR_MEMORY_LIMIT": text or " "})


@pytest.mark.parametrize("text", ["0", "two", "-3", "1.5"])
def test_bad_thread_count_is_refused(text: str) -> None:
    with pytest.raises(ExtractorError, match=r"^EXTRACTOR_THREADS: expected a whole number"):
        machine.resolve(env={"EXTRACTOR_THREADS": text})


def test_scratch_is_private_and_removed(tmp_path: Path) -> None:
    with workspace.scratch(tmp_path) as work:
        assert work.parent == tmp_path / ".extractor" / "work"
        assert work.stat().st_mode & 0o777 == 0o700
        (work / "spill").mkdir()
    workspace.finish_removals()  # removed beside the stages after it; gone once a run returns
    assert not work.exists()
    with workspace.scratch(tmp_path, tmp_path / "fast") as work:
        assert work.parent == tmp_path / "fast" / "extractor-work"
    workspace.finish_removals()
    assert not work.exists()


def test_folder_of_a_killed_run_is_removed_by_the_next(tmp_path: Path) -> None:
    code = ("import sys, time; from pathlib import Path; from extractor import workspace\n"
            "with workspace.scratch(Path(sys.argv[1])) as w:\n"
            "    (w / 'spill.tmp').write_bytes(b'x' * 1000); print(w, flush=True); time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    left = Path(child.stdout.readline().strip())
    assert left.is_dir()
    # While it lives, another run leaves it alone.
    with workspace.scratch(tmp_path):
        assert left.is_dir()
    child.send_signal(signal.SIGKILL)
    child.wait()
    time.sleep(0.1)
    assert left.is_dir()  # kill -9 ran no clean-up
    with workspace.scratch(tmp_path) as fresh:
        assert not left.exists()
        assert fresh.is_dir()


def _assert_locked(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> Path:
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(duckdb.PermissionException):
        con.sql(f"SELECT * FROM read_csv('{secret}')").fetchall()
    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")
    return secret


def test_locked_connection_reads_no_file_and_keeps_its_settings(tmp_path: Path) -> None:
    limits = machine.resolve(2, "256MiB", env={})
    con = machine.connect(limits, tmp_path / "spill", lock=True)
    secret = _assert_locked(con, tmp_path)
    assert con.execute("SELECT current_setting('temp_directory'), current_setting('threads')").fetchone() == (
        str(tmp_path / "spill"), 2)
    open_con = machine.connect(limits)
    assert open_con.execute(f"SELECT count(*) FROM read_csv('{secret}')").fetchone() == (1,)


def test_locked_cursors_are_locked_and_keep_their_own_tables(tmp_path: Path) -> None:
    """Tables are controlled on connections to one shared locked database: each is as locked as connect(lock=True)
    and sees none of another's temp tables or registered frames."""
    limits = machine.resolve(2, "256MiB", env={})
    one, two = machine.locked_cursor(limits, tmp_path / "spill"), machine.locked_cursor(limits, tmp_path / "spill")
    _assert_locked(one, tmp_path)
    _assert_locked(two, tmp_path)
    one.execute("CREATE TEMP TABLE _u AS SELECT 1 AS a")
    one.register("_records", duckdb.sql("SELECT 2 AS b").arrow())
    with pytest.raises(duckdb.CatalogException):
        two.execute("SELECT * FROM _u")
    with pytest.raises(duckdb.CatalogException):
        two.execute("SELECT * FROM _records")
    one.close()
    assert machine.locked_cursor(limits, tmp_path / "spill").execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (0,)


def test_no_progress_bar_of_duckdb_on_any_connection_that_reads_rows(tmp_path: Path) -> None:
    """DuckDB's own progress bar printed over the CLI's progress and into logs for any query past two seconds."""
    from extractor.protect.sandbox import open_locked

    limits = machine.resolve(2, "256MiB", env={})
    duckdb.connect(str(tmp_path / "sandbox.duckdb")).close()
    for con in (machine.connect(limits), machine.connect(limits, lock=True), machine.locked_cursor(limits),
                open_locked(tmp_path / "sandbox.duckdb", limits)):
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
