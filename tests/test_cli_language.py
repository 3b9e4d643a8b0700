"""The DPO's commands speak the DPO's language: --lang, else the account's preference, else the locale;
figures and statuses with it; a wrong --lang is one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from builders import PASSWORD, accounts, submitted_run
from conftest import run_env
from extractor.release.accounts import set_language
from extractor.release.store import opened


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True,
                          env={**run_env(), "EXTRACTOR_PASSWORD": PASSWORD, **env}, timeout=300)


@pytest.fixture(scope="module")
def airlock(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    _cfg, out, run_id = submitted_run(tmp_path_factory.mktemp("lang"), clients=12)
    accounts(out, "T-1", checkers=("aino", "bo", "alice"))
    with opened(out) as store:
        set_language(store, "aino", "fi")
        set_language(store, "bo", "sv")
    return out, run_id


@pytest.mark.parametrize(("who", "env", "expected"), [
    ("alice", {"EXTRACTOR_LANG": "fi"}, "virhe: Kerro syy"),
    ("alice", {"EXTRACTOR_LANG": "", "LANG": "sv_FI.UTF-8"}, "fel: Motivera"),
    ("aino", {"EXTRACTOR_LANG": ""}, "virhe: Kerro syy"),  # the account's own language
    ("bo", {"EXTRACTOR_LANG": ""}, "fel: Motivera"),
    ("aino", {"EXTRACTOR_LANG": "en"}, "error: Say why"),  # the command's choice wins over the account's
])
def test_a_refusal_is_said_in_the_readers_language(airlock, who: str, env: dict, expected: str) -> None:
    out, run_id = airlock
    proc = cli("review", "decide", run_id, "--decision", "return", "--out", str(out), "--as", who, **env)
    assert proc.returncode == 2 and proc.stderr.startswith(expected) and proc.stderr.count("\n") == 1, proc.stderr


def test_a_decision_and_the_status_in_finnish(airlock) -> None:
    out, run_id = airlock
    proc = cli("--lang", "fi", "review", "decide", run_id, "--decision", "approve", "--out", str(out), "--as", "alice")
    assert proc.returncode == 0 and "päätös" in proc.stdout.casefold(), proc.stdout + proc.stderr
    proc = cli("--lang", "fi", "review", "status", run_id, "--out", str(out), "--as", "alice")
    assert proc.returncode == 0 and "jätetty tarkastettavaksi" in proc.stdout and "hyväksytty" in proc.stdout
    proc = cli("--lang", "sv", "audit", "verify", "--out", str(out))
    assert proc.returncode == 0 and "händelseloggen" in proc.stdout.casefold() or "logg" in proc.stdout, proc.stdout


def test_an_unknown_language_is_one_line(airlock) -> None:
    proc = cli("--lang", "de", "audit", "verify", "--out", str(airlock[0]))
    assert proc.returncode == 2 and proc.stderr == "error: --lang: expected fi, sv or en, got 'de'\n"
