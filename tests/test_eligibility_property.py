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
