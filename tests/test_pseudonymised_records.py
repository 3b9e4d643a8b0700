"""Pseudonymised record-level outputs: consistent date shifting, checked pseudonyms, an encrypted re-id map."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from cryptography.fernet import Fernet

from builders import World, write_world
from conftest import TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.files import sha256_file
from extractor.pipeline import run_extract
from extractor.protect.pseudonym import project_key

D = dt.date
QUERY = ("SELECT d.client_id, d.matter_closed_on, c.birth_date FROM documents d JOIN clients c USING (client_id) "
         "WHERE d.matter_closed_on IS NOT NULL")
OUTPUT = """
[protection]
date_shift_days = 30
reidentification_map = true
"""


def world() -> World:
    return World(clients=["A", "B", "C"], documents=[
        ("a1", "a1", "A", "R1", "20", "S1", D(2025, 1, 10)), ("a2", "a2", "A", "R2", "20", "S1", D(2025, 3, 1)),
        ("b1", "b1", "B", "R1", "20", "S1", D(2025, 5, 5)), ("c1", "c1", "C", "R1", "20", "S1", D(2025, 7, 7))],
        opt_outs=[("C", D(2020, 1, 1), None)])


@pytest.fixture()
def run(tmp_path: Path):
    request = write_world(world(), tmp_path, query=QUERY, extra_request=OUTPUT)
    text = request.read_text().replace('dimensions = ["service_task"]\ncounts = ["n"]',
                                       'kind = "pseudonymised_records"\n'
                                       'dimensions = ["client_id", "matter_closed_on", "birth_date"]\n'
                                       'pseudonyms = ["client_id"]')
    request.write_text(text)
    cfg = load_config(request, today=D(2026, 11, 1))
    return run_extract(cfg, tmp_path / "out", TEST_KEY.encode()), cfg


def test_dates_shift_consistently_per_person(run) -> None:
    result, cfg = run
    key = project_key(TEST_KEY.encode(), cfg.request.project)
    df = pl.read_csv(result.release_dir / "t.csv", try_parse_dates=True)
    originals = {"a1": D(2025, 1, 10), "a2": D(2025, 3, 1), "b1": D(2025, 5, 5)}
    by_person = {key.pseudonym("person", p): p for p in "AB"}
    assert set(df["client_id"]) == set(by_person)  # C opted out; A and B pseudonymised
    for row in df.iter_rows(named=True):
        person = by_person[row["client_id"]]
        shift = key.date_shift(person, 30)
        assert -30 <= shift <= 30
        assert row["birth_date"] == D(1980, 1, 1) + dt.timedelta(days=shift)
        assert row["matter_closed_on"] - dt.timedelta(days=shift) in originals.values()
    assert result.protected.date_shifted["documents"] == ["matter_closed_on"]
    assert check_release(result.release_dir).passed


def test_reidentification_map_is_encrypted_and_outside_the_release(run) -> None:
    result, cfg = run
    path = result.run_dir / "controller" / "reidentification_map.csv.fernet"
    assert path.is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert not any("reidentification" in p.name for p in result.release_dir.rglob("*"))
    blob = path.read_bytes()
    assert b"client_id" not in blob and b"A," not in blob
    key = project_key(TEST_KEY.encode(), cfg.request.project)
    rows = Fernet(key.encryption_key()).decrypt(blob).decode().splitlines()
    assert rows[0] == "pseudonym,person_key"
    assert sorted(rows[1:]) == sorted(f"{key.pseudonym('person', p)},{p}" for p in "AB")


def test_checker_refuses_a_raw_key_in_the_pseudonym_column(run, tmp_path: Path) -> None:
    result, _ = run
    path = result.release_dir / "t.csv"
    lines = path.read_text().splitlines()
    lines[1] = "A" + lines[1][lines[1].index(","):]
    path.write_text("\n".join(lines) + "\n")
    manifest = json.loads((result.release_dir / "manifest.json").read_text())
    manifest["outputs"][0]["sha256"] = sha256_file(path)
    (result.release_dir / "manifest.json").write_text(json.dumps(manifest))
    assert any("not pseudonyms" in f for f in check_release(result.release_dir).findings)


def test_reidentify_command(run, tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import run_env
    result, _ = run
    target = tmp_path / "map.csv"
    proc = subprocess.run([sys.executable, "-m", "extractor.cli", "reidentify", str(result.run_dir), "--to",
                           str(target)], capture_output=True, text=True, env=run_env())
    assert proc.returncode == 0, proc.stderr
    assert target.read_text().startswith("pseudonym,person_key\n") and oct(target.stat().st_mode & 0o777) == "0o600"
    env = run_env()
    env["EXTRACTOR_KEY"] = "another-key-0123456789abcdef-0123456789"
    proc = subprocess.run([sys.executable, "-m", "extractor.cli", "reidentify", str(result.run_dir), "--to",
                           str(tmp_path / "other.csv")], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "cannot decrypt with this key" in proc.stderr


def test_review_report_says_what_a_pseudonymised_file_risks(run) -> None:
    """The DPO reads that the file is personal data, how many rows stand alone on their other columns (counted
    from the released file), and the date shift: the three things that decide such a release."""
    result, _cfg = run
    df = pl.read_csv(result.release_dir / "t.csv", infer_schema=False)
    alone = int(df.drop("client_id").is_unique().sum())
    report = (result.release_dir.parent / "review" / "review_en.html").read_text(encoding="utf-8")
    assert "t.csv gives records with each person&#39;s pseudonym (client_id): it is personal data" in report
    assert f"{alone} of its {df.height} rows match no other row on their remaining columns" in report
    assert "moved by each person&#39;s own shift, up to 30 days either way" in report
    fi = (result.release_dir.parent / "review" / "review_fi.html").read_text(encoding="utf-8")
    assert "henkilötietoja" in fi and "30 päivää" in fi
