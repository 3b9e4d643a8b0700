"""Random registries and choice histories: the DuckDB stage must agree with the plain reference."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import World, eligible_documents, reference_eligible, write_world

DAY0 = dt.date(2026, 1, 1)
persons = st.sampled_from(["P0", "P1", "P2", "P3"])
days = st.integers(0, 12).map(lambda d: DAY0 + dt.timedelta(days=d))
maybe_days = st.none() | days
registrars = st.sampled_from(["R0", "R1", "R2"])
tasks = st.sampled_from(["10", "15", "20"])
originals = st.sampled_from([f"D{i}" for i in range(6)])
structures = st.sampled_from(["S1", "S2", "S3", "S9"])
# Anchors whose retention periods end within the range of as-of dates drawn.
closed_days = st.none() | st.integers(-3, 15).map(lambda d: dt.date(2016, 1, 1) + dt.timedelta(days=d))
death_days = st.integers(-3, 15).map(lambda d: dt.date(2024, 1, 1) + dt.timedelta(days=d))


@st.composite
def worlds(draw: st.DrawFn) -> World:
    docs = draw(st.lists(st.tuples(originals, persons, registrars, tasks, structures, closed_days),
                         min_size=1, max_size=14))
    documents = [(f"v{i}", orig, p, r, t, s, c) for i, (orig, p, r, t, s, c) in enumerate(docs)]
    deaths = draw(st.dictionaries(persons, death_days, max_size=3))
    targets = {"registrar": registrars, "service_task": tasks, "document": originals}
    bans = draw(st.lists(
        st.sampled_from(list(targets)).flatmap(lambda s: st.tuples(
            persons, st.just(s), targets[s], days, maybe_days, st.none() | st.sampled_from(["31", "32"]))),
        max_size=8))
    # A revocation never precedes the setting in valid data.
    bans = [(p, s, t, on, None if off is None else max(on, off), r) for p, s, t, on, off, r in bans]
    opt_outs = [(p, on, None if off is None else max(on, off))
                for p, on, off in draw(st.lists(st.tuples(persons, days, maybe_days), max_size=4))]
    consents = [(p, s, on, None if off is None else max(on, off))
                for p, s, on, off in draw(st.lists(st.tuples(persons, st.sampled_from(["S1", "S2"]), days,
                                                             maybe_days), max_size=6))]
    return World(["P0", "P1", "P2", "P3"], documents, bans, opt_outs, consents, deaths)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=worlds(), as_of=days, granted=days, consent=st.booleans())
def test_duckdb_matches_reference(w: World, as_of: dt.date, granted: dt.date, consent: bool) -> None:
    study = "S1" if consent else None
    with tempfile.TemporaryDirectory() as tmp:
        request = write_world(w, Path(tmp), as_of=as_of, granted=granted, study=study,
                              purpose="consented_research" if consent else "research")
        ids, result, _ = eligible_documents(request)
    verdict = reference_eligible(w, as_of=as_of, granted=granted, study=study)
    assert ids == {d for d, rule in verdict.items() if rule is None}
    expected = Counter(rule for rule in verdict.values() if rule is not None)
    got = {r.rule: r.rows for r in result.ledger if r.table == "documents" and r.rows}
    assert got == dict(expected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=worlds(), as_of=days, granted=days)
def test_rows_removed_by_their_place_in_the_file_are_the_rows_the_rules_leave_out(w: World, as_of: dt.date,
                                                                                  granted: dt.date) -> None:
    """A Parquet table's eligible view drops the left-out rows by their row number (no rule evaluated
    twice); the same world with the numbered views gone evaluates the rules again: same rows, same ledger."""
    import duckdb

    from extractor.config.load import load_config
    from extractor.eligibility.apply import apply_eligibility
    from extractor.sources import register_sources

    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(write_world(w, Path(tmp), as_of=as_of, granted=granted), today=dt.date(2026, 11, 1))
        seen = []
        for numbered in (True, False):
            con = duckdb.connect()
            rows = register_sources(con, cfg.catalog).rows
            if not numbered:
                con.execute("DROP SCHEMA numbered CASCADE")
            result = apply_eligibility(con, cfg, rows)
            plan = con.execute("EXPLAIN SELECT * FROM elig.documents").fetchall()[0][1]
            assert ("ANTI" in plan) is numbered
            seen.append((sorted(con.execute("SELECT * FROM elig.documents").fetchall(), key=repr), result.ledger))
    assert seen[0] == seen[1]


def test_a_parquet_table_with_its_own_file_row_number_column_is_not_numbered(tmp_path: Path) -> None:
    """A column of that name in the file is the controller's data: the rules are evaluated again instead."""
    import duckdb
    import polars as pl

    from extractor.config.load import load_config
    from extractor.eligibility.apply import apply_eligibility
    from extractor.sources import register_sources

    w = World(["P0", "P1"], [("D0", "D0", "P0", "R0", "10"), ("D1", "D1", "P1", "R0", "20")], [], [("P1", DAY0, None)],
              [], {})
    cfg = load_config(write_world(w, tmp_path, as_of=DAY0, granted=DAY0), today=dt.date(2026, 11, 1))
    docs = tmp_path / "documents.parquet"
    pl.read_parquet(docs).with_columns(pl.lit(7).alias("file_row_number")).write_parquet(docs)
    con = duckdb.connect()
    result = apply_eligibility(con, cfg, register_sources(con, cfg.catalog).rows)
    assert not con.execute("SELECT 1 FROM duckdb_views() WHERE view_name = 'documents' AND schema_name = 'numbered'"
                           ).fetchall()
    assert con.execute("SELECT doc_id, file_row_number FROM elig.documents").fetchall() == [("D0", 7)]
    assert result.rows_out["documents"] == 1
