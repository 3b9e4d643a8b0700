"""Pseudonyms: the SQL HMAC equals Python's hmac; keys are checked and never shown."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.errors import ExtractorError
from extractor.protect.pseudonym import load_master_key, project_key, sql_date_shift, sql_pseudonym, write_new_key_file

MASTER = b"m" * 32


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.text(min_size=0, max_size=30), min_size=1, max_size=20))
def test_sql_hmac_equals_python_reference(values: list[str]) -> None:
    key = project_key(MASTER, "p1")
    con = duckdb.connect()
    con.execute("CREATE TABLE t(v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    got = con.execute(f"SELECT v, {sql_pseudonym('v', 'person')} FROM t", key.sql_params()).fetchall()
    assert all(p == key.pseudonym("person", v) for v, p in got)


def test_projects_and_domains_are_unlinkable() -> None:
    a, b = project_key(MASTER, "study-a"), project_key(MASTER, "study-b")
    assert a.pseudonym("person", "C1") != b.pseudonym("person", "C1")
    assert a.pseudonym("person", "C1") != a.pseudonym("document", "C1")
    assert a.pseudonym("person", "C1") == project_key(MASTER, "study-a").pseudonym("person", "C1")


def test_key_repr_hides_key() -> None:
    key = project_key(MASTER, "p")
    assert "hidden" in repr(key) and MASTER.decode() not in repr(key)


def test_short_key_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_KEY", "too-short")
    with pytest.raises(ExtractorError, match="at least 32 bytes") as info:
        load_master_key()
    assert "too-short" not in str(info.value)


def test_key_file_must_be_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXTRACTOR_KEY")
    path = tmp_path / "k"
    write_new_key_file(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(load_master_key(path)) >= 32
    os.chmod(path, 0o644)
    with pytest.raises(ExtractorError, match="owner only"):
        load_master_key(path)


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXTRACTOR_KEY")
    with pytest.raises(ExtractorError, match="no pseudonymisation key"):
        load_master_key()


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=20), max_days=st.integers(1, 400))
def test_sql_date_shift_equals_python_reference(values: list[str], max_days: int) -> None:
    key = project_key(MASTER, "p1")
    con = duckdb.connect()
    got = con.execute(f"SELECT v, {sql_date_shift('v', max_days)} FROM unnest($values) t(v)",
                      {**key.sql_params(), "values": values}).fetchall()
    assert all(s == key.date_shift(v, max_days) and -max_days <= s <= max_days for v, s in got)
