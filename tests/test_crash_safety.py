"""Kill the process (SIGKILL) at every stage: no partial release, a log that verifies, a rerun completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from builders import PASSWORD, World, accounts, write_world
from conftest import run_env
from extractor.pipeline import STAGES

POINTS = [*STAGES, "publish", "record"]  # "record": inside the transaction, before its commit


def cli(*args: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = run_env()
    env["EXTRACTOR_PASSWORD"] = PASSWORD
    if kill_at:
        env["EXTRACTOR_FAULT_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def runs(out: Path) -> list[Path]:
    folder = out / "T-1"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.name != "latest")


@pytest.fixture(scope="module")
def request_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    w = World(clients=[f"P{i}" for i in range(12)],
              documents=[(f"d{i}", f"d{i}", f"P{i}", "R1", "20") for i in range(12)])
    return write_world(w, tmp_path_factory.mktemp("world"))


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_stage(request_file: Path, tmp_path: Path, point: str) -> None:
    out = tmp_path / "out"
    proc = cli("run", str(request_file), "--out", str(out), kill_at=point)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert runs(out) == []  # killed before its record committed: nothing published, whatever the stage
    assert not (out / "T-1" / "latest").exists()
    if (out / ".extractor" / "store.toml").exists():
        assert cli("audit", "verify", "--out", str(out)).returncode == 0
    scratch = out / ".extractor" / "work"
    if point in ("sources", "eligibility", "protect", "query"):  # killed inside its private scratch folder
        assert [p.name[:4] for p in scratch.iterdir()] == ["run-"]
    again = cli("run", str(request_file), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert not list((out / "T-1").glob(".staging-*"))
    assert list(scratch.iterdir()) == []  # the killed run's scratch was removed by the next run
    verified = cli("audit", "verify", "--out", str(out))
    assert verified.returncode == 0 and "2 record(s)" in verified.stdout, verified.stderr  # key record + the run


def test_killed_between_record_and_rename_is_finished_by_the_next_run(request_file: Path, tmp_path: Path) -> None:
    """Recorded, then killed before the rename: the run exists in the log, so the next run publishes it."""
    out = tmp_path / "out"
    assert cli("run", str(request_file), "--out", str(out), kill_at="publish-recorded").returncode == -signal.SIGKILL
    assert runs(out) == [] and len(list((out / "T-1").glob(".staging-*"))) == 1
    assert cli("run", str(request_file), "--out", str(out)).returncode == 0
    assert len(runs(out)) == 2 and not list((out / "T-1").glob(".staging-*"))
    verified = cli("audit", "verify", "--out", str(out))
    assert verified.returncode == 0 and "3 record(s)" in verified.stdout, verified.stderr


@pytest.mark.parametrize("point", ["release-record", "release-recorded"])
def test_a_release_killed_before_or_after_its_record_is_finished_by_the_next(request_file: Path, tmp_path: Path,
                                                                             point: str) -> None:
    """Killed before the record commits: nothing released, a retry does it all. Killed after: recorded as
    released, and the retry copies the files again, checked against the record, with the receipt."""
    out, dest = tmp_path / "out", tmp_path / "released"
    assert cli("run", str(request_file), "--out", str(out)).returncode == 0
    run_id = runs(out)[0].name
    accounts(out, "T-1")
    for who in ("alice", "bob"):
        assert cli("review", "decide", run_id, "--decision", "approve", "--as", who, "--out", str(out)).returncode == 0
    killed = cli("release", run_id, "--to", str(dest), "--out", str(out), "--as", "alice", kill_at=point)
    assert killed.returncode == -signal.SIGKILL and not (dest / "T-1" / run_id).exists()
    assert cli("audit", "verify", "--out", str(out)).returncode == 0
    finished = cli("release", run_id, "--to", str(dest), "--out", str(out), "--as", "bob")
    assert finished.returncode == 0, finished.stderr
    assert (dest / "T-1" / run_id / "manifest.json").is_file()
    assert (dest / "T-1" / f"{run_id}.audit_receipt.json").is_file()
    assert not [p for p in (dest / "T-1").iterdir() if p.name.startswith(".")]
    shown = cli("audit", "show", "--out", str(out)).stdout
    assert [line.split()[3] for line in shown.splitlines() if "account" not in line and "project" not in line] == [
        "store-created", "run", "review", "review", "release"]
    assert cli("audit", "verify", "--out", str(out)).returncode == 0


def test_a_folder_being_locked_is_never_judged_abandoned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process tidying up between the lock file's creation and its lock found it free and removed the
    folder in use (two parallel releases of one run: a 500). Here the tidier looks at exactly that moment."""
    import fcntl

    from extractor import files

    folder = tmp_path / "staging"
    folder.mkdir()
    seen: list[bool] = []
    real_flock = fcntl.flock

    def flock_after_a_look(fd: int, op: int) -> None:
        if op == fcntl.LOCK_EX:  # hold() about to take its lock: the tidier's turn
            seen.append(files.abandoned(folder))
        real_flock(fd, op)

    monkeypatch.setattr(files.fcntl, "flock", flock_after_a_look)
    fd = files.hold(folder)
    monkeypatch.setattr(files.fcntl, "flock", real_flock)
    try:
        assert seen == [False] and not files.abandoned(folder)
    finally:
        os.close(fd)
    assert files.abandoned(folder)  # let go: free
