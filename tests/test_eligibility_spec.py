"""Table-driven spec of the eligibility rules: each row is a situation and the documents that remain."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from builders import World, eligible_documents, write_world

D = dt.date
AS_OF, GRANTED = D(2026, 6, 30), D(2026, 3, 1)


def base_world() -> World:
    return World(
        clients=["A", "B"],
        documents=[
            ("a1", "a1", "A", "R1", "10"),
            ("a2", "a2", "A", "R2", "10"),
            ("a3", "a3", "A", "R2", "20"),
            ("a3v2", "a3", "A", "R2", "20"),  # a revised version of a3: same original OID
            ("b1", "b1", "B", "R1", "10"),
        ],
    )


ALL = {"a1", "a2", "a3", "a3v2", "b1"}
CASES = [
    # (name, bans, opt_outs, expected remaining documents)
    ("no choices recorded", [], [], ALL),
    ("registrar ban removes that registrar's documents of that client only",
     [("A", "registrar", "R1", D(2026, 1, 1), None, None)], [], ALL - {"a1"}),
    ("service-task ban applies across registrars",
     [("A", "service_task", "10", D(2026, 1, 1), None, None)], [], ALL - {"a1", "a2"}),
    ("document ban by original OID removes every version",
     [("A", "document", "a3", D(2026, 1, 1), None, None)], [], ALL - {"a3", "a3v2"}),
    ("document ban naming a version OID, not the original, matches nothing",
     [("A", "document", "a3v2", D(2026, 1, 1), None, None)], [], ALL),
    ("ban set on the as-of date is active",
     [("A", "registrar", "R1", AS_OF, None, None)], [], ALL - {"a1"}),
    ("ban set the day after the as-of date is not yet active",
     [("A", "registrar", "R1", AS_OF + dt.timedelta(days=1), None, None)], [], ALL),
    ("ban set and revoked on the same day never applies",
     [("A", "registrar", "R1", D(2026, 2, 1), D(2026, 2, 1), None)], [], ALL),
    ("ban revoked on the as-of date no longer applies",
     [("A", "registrar", "R1", D(2026, 1, 1), AS_OF, None)], [], ALL),
    ("ban revoked after the as-of date still applies",
     [("A", "registrar", "R1", D(2026, 1, 1), AS_OF + dt.timedelta(days=1), None)], [], ALL - {"a1"}),
    ("revoked then set again: the later ban applies",
     [("A", "registrar", "R1", D(2026, 1, 1), D(2026, 2, 1), None),
      ("A", "registrar", "R1", D(2026, 3, 1), None, None)], [], ALL - {"a1"}),
    ("ban set by a guardian (31) counts the same",
     [("A", "service_task", "20", D(2026, 1, 1), None, "31")], [], ALL - {"a3", "a3v2"}),
    ("ban set by an edunvalvoja (32) counts the same",
     [("B", "registrar", "R1", D(2026, 1, 1), None, "32")], [], ALL - {"b1"}),
    ("overlapping bans of different scopes remove the union",
     [("A", "registrar", "R1", D(2026, 1, 1), None, None), ("A", "service_task", "20", D(2026, 1, 1), None, None),
      ("A", "document", "a2", D(2026, 1, 1), None, None)], [], {"b1"}),
    ("another client's ban does not touch this client",
     [("B", "registrar", "R2", D(2026, 1, 1), None, None)], [], ALL),
    ("opt-out before the permit excludes the person",
     [], [("A", D(2026, 1, 1), None)], {"b1"}),
    ("opt-out on the permit's grant date excludes the person (the person's wish wins a tie)",
     [], [("A", GRANTED, None)], {"b1"}),
    ("opt-out after the permit was granted does not affect it",
     [], [("A", GRANTED + dt.timedelta(days=1), None)], ALL),
    ("opt-out withdrawn before the as-of date stops applying",
     [], [("A", D(2026, 1, 1), D(2026, 5, 1))], ALL),
    ("opt-out withdrawn after the as-of date still applies",
     [], [("A", D(2026, 1, 1), D(2026, 7, 1))], {"b1"}),
]


@pytest.mark.parametrize(("name", "bans", "opt_outs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(tmp_path: Path, name: str, bans: list, opt_outs: list, expected: set[str]) -> None:
    w = base_world()
    w.bans, w.opt_outs = bans, opt_outs
    ids, result, _ = eligible_documents(write_world(w, tmp_path, as_of=AS_OF, granted=GRANTED))
    assert ids == expected
    assert result.rows_out["documents"] == len(expected)
    assert result.rows_in["documents"] - sum(r.rows for r in result.ledger if r.table == "documents") == len(expected)


def test_deceased_persons_opt_out_persists(tmp_path: Path) -> None:
    """An opt-out persists after death: nothing about death lifts it."""
    w = base_world()
    w.opt_outs = [("B", D(2020, 1, 1), None)]
    ids, _, _ = eligible_documents(write_world(w, tmp_path))
    assert "b1" not in ids


def test_consent_based_purpose_keeps_only_consented(tmp_path: Path) -> None:
    w = base_world()
    w.consents = [("A", "S1", D(2026, 1, 1), None), ("B", "S2", D(2026, 1, 1), None)]
    ids, result, _ = eligible_documents(write_world(w, tmp_path, purpose="consented_research", study="S1"))
    assert ids == {"a1", "a2", "a3", "a3v2"}
    assert [r.rows for r in result.ledger if r.table == "documents" and r.rule == "research_consent"] == [1]


def test_consent_withdrawn_on_as_of_date_no_longer_counts(tmp_path: Path) -> None:
    w = base_world()
    w.consents = [("A", "S1", D(2026, 1, 1), AS_OF), ("B", "S1", D(2026, 1, 1), None)]
    ids, _, _ = eligible_documents(write_world(w, tmp_path, purpose="consented_research", study="S1"))
    assert ids == {"b1"}


def test_ledger_counts_each_row_under_first_rule(tmp_path: Path) -> None:
    w = base_world()
    w.opt_outs = [("A", D(2026, 1, 1), None)]
    w.bans = [("A", "registrar", "R1", D(2026, 1, 1), None, None), ("B", "registrar", "R1", D(2026, 1, 1), None, "31")]
    _, result, _ = eligible_documents(write_world(w, tmp_path))
    ledger = {r.rule: (r.rows, r.persons) for r in result.ledger if r.table == "documents"}
    assert ledger["opt_out"] == (4, 1)
    assert ledger["disclosure_ban_registrar"] == (1, 1)
    assert result.register_summary["active_bans_registrar_representative"] == 1
