"""The practice's yearly notice and one person's statement, built from the audit log and run records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from builders import World, approve_and_release, write_world
from conftest import TEST_KEY
from extractor.config.load import load_config
from extractor.pipeline import run_extract
from extractor.release.store import Store
from extractor.reports.periodic import person_statement, practice_notice
from extractor.reports.readability import measure, prose
from extractor.reports.transparency import person_status

D = dt.date


@pytest.fixture()
def released(tmp_path: Path):
    w = World(clients=[f"P{i}" for i in range(10)],
              documents=[(f"d{i}", f"d{i}", f"P{i}", "R1", "20") for i in range(10)]
              + [("x1", "x1", "P1", "R2", "20")],
              opt_outs=[("P0", D(2020, 1, 1), None)],
              bans=[("P1", "registrar", "R2", D(2026, 1, 1), None, "31")])
    cfg = load_config(write_world(w, tmp_path / "world"))
    out = tmp_path / "out"
    result = run_extract(cfg, out, TEST_KEY.encode())
    approve_and_release(out, result.run_id, tmp_path / "released")
    return out, result, tmp_path


def test_person_status_per_run(released) -> None:
    _, result, _ = released
    key = TEST_KEY.encode()
    assert person_status(result.run_dir, key, "P0") == (False, ["opt_out"])
    assert person_status(result.run_dir, key, "P1") == (True, ["disclosure_ban_registrar"])
    assert person_status(result.run_dir, key, "P5") == (True, [])
    assert person_status(result.run_dir, key, "nobody") is None
    stored = (result.run_dir / "controller" / "persons.parquet").read_bytes()
    assert b"P0" not in stored and b"P1" not in stored


def test_person_statement_in_three_languages(released) -> None:
    out, _, tmp = released
    paths = person_statement(Store(out), TEST_KEY.encode(), "P0", tmp / "statements")
    assert [p.name for p in paths] == ["person_statement_fi.html", "person_statement_sv.html",
                                       "person_statement_en.html"]
    en = paths[2].read_text()
    assert "Your data were not used." in en and "you opted out of secondary use" in en
    assert "kielsit toissijaisen käytön" in paths[0].read_text()
    for lang, path in zip(("fi", "sv", "en"), paths, strict=True):
        assert measure(prose(path.read_text()), lang).ok, (lang, measure(prose(path.read_text()), lang))


def test_practice_notice_lists_released_extracts(released) -> None:
    out, _, tmp = released
    year = dt.date.today().year
    paths = practice_notice(Store(out), year, "Example practice", tmp / "practice")
    en = paths[2].read_text()
    assert f"In {year}, <span class=\"name\">Example practice</span> shared data with 1 project." in en  # CLDR: one
    assert "scientific research" in en and "test" in en
    assert "1 hankkeeseen" in paths[0].read_text()
    for lang, path in zip(("fi", "sv", "en"), paths, strict=True):
        assert measure(prose(path.read_text()), lang).ok, (lang, measure(prose(path.read_text()), lang))
    empty = practice_notice(Store(out), year - 5, "Example practice", tmp / "practice_old")
    assert "No data were shared this year." in empty[2].read_text()
