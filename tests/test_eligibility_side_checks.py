"""The eligibility stage's checks run beside its rules (side_checks.py): the same warnings in the same order as
when they run first, in order, and a register's own error wins over a rule that stumbles on the same rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from builders import World, write_world
from extractor.config.load import load_config
from extractor.eligibility import apply
from extractor.eligibility.side_checks import SideChecks
from extractor.errors import ExtractorError
from extractor.sources import register_sources

D = dt.date


def _noisy_world() -> World:
    """Every kind of warning the checks give: unknown persons, overlapping opt-outs, a ban target nothing carries,
    a setter code not listed, a death date after today, a service task without a retention rule."""
    return World(clients=["A", "B"],
                 documents=[("a1", "a1", "A", "R1", "15"), ("b1", "b1", "B", "R1", "999"),
                            ("b2", "b2", "B", "R2", "15")],
                 bans=[("Z", "registrar", "R1", D(2026, 1, 1), None, None),
                       ("A", "document", "nope", D(2026, 1, 1), None, "99")],
                 opt_outs=[("A", D(2020, 1, 1), D(2022, 1, 1)), ("A", D(2021, 1, 1), None), ("Y", D(2021, 1, 1), None)],
                 deaths={"B": D(2030, 1, 1)})


def _run(request: Path) -> tuple[apply.Eligibility, list[tuple]]:
    cfg = load_config(request, today=D(2026, 11, 1))
    con = duckdb.connect()
    result = apply.apply_eligibility(con, cfg, register_sources(con, cfg.catalog).rows)
    return result, sorted(con.execute("SELECT doc_id FROM elig.documents").fetchall())


def test_checks_beside_the_rules_say_what_they_say_run_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    request = write_world(_noisy_world(), tmp_path)
    beside, kept = _run(request)
    monkeypatch.setattr(apply, "SideChecks", lambda con, checks, _beside: SideChecks(con, checks, None))
    first, kept_first = _run(request)
    assert [str(w) for w in beside.warnings] == [str(w) for w in first.warnings]
    assert len(beside.warnings) >= 5
    assert any("death date after today" in w for w in beside.warnings)
    assert any("name a person not in the data" in w for w in beside.warnings)
    assert (beside.ledger, beside.rows_out, kept) == (first.ledger, first.rows_out, kept_first)


def test_a_register_that_cannot_be_read_says_so_even_when_a_rule_fails_first(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    w = _noisy_world()
    w.opt_outs.append((None, D(2021, 1, 1), None))  # line 4: no person
    request = write_world(w, tmp_path)

    def stumbles(*_args: object) -> None:
        raise duckdb.ConversionException("a rule read the same rows")

    monkeypatch.setattr(apply, "_apply_rules", stumbles)
    with pytest.raises(ExtractorError, match=r"opt_outs\.parquet:4: .*column 'client_id' is empty"):
        _run(request)


def test_side_checks_inline_raise_at_once_and_beside_at_finish() -> None:
    con = duckdb.connect()
    ran: list[str] = []

    def ok(c: duckdb.DuckDBPyConnection) -> list[str]:
        ran.append("ok")
        return [str(c.execute("SELECT 42").fetchone()[0])]

    def bad(_c: duckdb.DuckDBPyConnection) -> list[str]:
        raise ExtractorError("registers.csv:3: bad row")

    with pytest.raises(ExtractorError, match="bad row"):
        SideChecks(con, {"ok": ok, "bad": bad, "after": ok}, beside=None)
    assert ran == ["ok"]  # checks run in order and stop at the first error
    side = SideChecks(con, {"ok": ok, "bad": bad}, beside=con.cursor())
    with pytest.raises(ExtractorError, match="bad row"):
        side.finish()
    second = con.cursor()
    assert SideChecks(con, {"ok": ok}, beside=second).finish() == {"ok": ["42"]}
    with pytest.raises(duckdb.ConnectionException):  # the second connection is closed when the checks are done
        second.execute("SELECT 1")
    assert SideChecks(con, {"ok": ok}, beside=con).finish() == {"ok": ["42"]}  # Spark's: the connection itself
    assert con.execute("SELECT 1").fetchone() == (1,)  # and left open
