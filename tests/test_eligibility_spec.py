"""Table-driven spec of the eligibility rules: each row is a situation and the documents that remain."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
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
    ("ban set after the as-of date but before the extract is made counts: the disclosure is made now",
     [("A", "registrar", "R1", AS_OF + dt.timedelta(days=1), None, None)], [], ALL - {"a1"}),
    ("ban revoked after the as-of date still counts: it was in force on the data's date",
     [("A", "registrar", "R1", D(2026, 1, 1), AS_OF + dt.timedelta(days=1), None)], [], ALL - {"a1"}),
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


@pytest.mark.parametrize(("purpose", "study", "basis", "named"), [
    ("research", "S1", "gdpr-6-1-e", "request.study: expected no study under purpose 'research'"),
    ("research", None, "gdpr-9-2-a", "request.legal_basis: expected a basis other than consent (gdpr-9-2-a)"),
    ("audit", None, '["gdpr-6-1-a", "fi-552-2019"]', "request.legal_basis: expected a basis other than consent"),
])
def test_consent_named_where_no_consent_rule_applies_is_refused(tmp_path: Path, purpose: str, study: str | None,
                                                                basis: str, named: str) -> None:
    """A study, or consent as the legal basis, under a purpose that applies no research consent: everyone not
    opted out would pass while the request says consent decides (a new user's request did just that)."""
    from builders import TODAY
    from extractor.config.load import load_config
    from extractor.errors import ConfigError

    request = write_world(base_world(), tmp_path, purpose=purpose, study=study)
    text = request.read_text(encoding="utf-8")
    request.write_text(text.replace('legal_basis = "gdpr-6-1-e"', f"legal_basis = {basis if '[' in basis else repr(basis)}"
                                    .replace("'", '"')), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(request, today=TODAY)
    said = str(caught.value)
    assert named in said and "consented_research" in said and "\n" not in said


def test_a_study_no_consent_names_is_said_to_leave_everyone_out(tmp_path: Path) -> None:
    w = base_world()
    w.consents = [("A", "S1", D(2026, 1, 1), None)]
    ids, result, _ = eligible_documents(write_world(w, tmp_path, purpose="consented_research", study="S2"))
    assert ids == set()
    assert any("no consent names the study S2" in str(m) for m in result.warnings)
    ids, result, _ = eligible_documents(write_world(w, tmp_path / "named", purpose="consented_research", study="S1"))
    assert ids and not any("no consent names" in str(m) for m in result.warnings)


def test_consent_withdrawn_on_as_of_date_no_longer_counts(tmp_path: Path) -> None:
    w = base_world()
    w.consents = [("A", "S1", D(2026, 1, 1), AS_OF), ("B", "S1", D(2026, 1, 1), None)]
    ids, _, _ = eligible_documents(write_world(w, tmp_path, purpose="consented_research", study="S1"))
    assert ids == {"b1"}


def test_a_consent_written_twice_once_with_its_withdrawal_is_withdrawn(tmp_path: Path) -> None:
    """The same consent (person, study, date) on two rows, one recording its withdrawal: the "no" counts, as an
    opt-out in force counts whatever its repeats say."""
    w = base_world()
    w.consents = [("A", "S1", D(2024, 1, 1), D(2025, 1, 1)), ("A", "S1", D(2024, 1, 1), None),
                  ("B", "S1", D(2024, 1, 1), None), ("B", "S1", D(2026, 2, 1), None)]
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


RETENTION = [
    # (name, documents, deaths, expected remaining)
    ("substance-abuse matter closed exactly 10 years before the as-of date: ended",
     [("d1", "d1", "A", "R1", "15", "S1", D(2016, 6, 30))], {}, set()),
    ("closed 10 years minus a day before: still kept",
     [("d1", "d1", "A", "R1", "15", "S1", D(2016, 7, 1))], {}, {"d1"}),
    ("open matter (no closing date): kept",
     [("d1", "d1", "A", "R1", "15", "S1", None)], {}, {"d1"}),
    ("child welfare: two years after the client's death: ended",
     [("d1", "d1", "A", "R1", "10", "S1", None)], {"A": D(2024, 6, 30)}, set()),
    ("child welfare: death less than two years ago: kept",
     [("d1", "d1", "A", "R1", "10", "S1", None)], {"A": D(2024, 7, 1)}, {"d1"}),
    ("child welfare of a living client: kept however old",
     [("d1", "d1", "A", "R1", "10", "S1", D(2001, 1, 1))], {}, {"d1"}),
    ("disability services: anchor not recorded, kept",
     [("d1", "d1", "A", "R1", "20", "S1", D(2001, 1, 1))], {"A": D(2001, 1, 1)}, {"d1"}),
    ("structure removed (poistettu): left out",
     [("d1", "d1", "A", "R1", "20", "S3", None)], {}, set()),
    ("structure outdated (vanhentunut): accepted",
     [("d1", "d1", "A", "R1", "20", "S2", None)], {}, {"d1"}),
    ("structure unknown to the structures table: kept",
     [("d1", "d1", "A", "R1", "20", "S9", None)], {}, {"d1"}),
]


def test_a_removed_structure_is_left_out_however_its_state_is_typed(tmp_path: Path) -> None:
    """'Poistettu' (a capital) and ' poistettu ' kept their documents silently: the state was compared exactly."""
    w = World(clients=["A"], documents=[("d1", "d1", "A", "R1", "20", "S4", None), ("d2", "d2", "A", "R1", "20",
                                                                                       "S5", None)],
              structures={"S4": "Poistettu", "S5": " poistettu ", "S1": "valmis"})
    ids, _, _ = eligible_documents(write_world(w, tmp_path, as_of=AS_OF, granted=GRANTED))
    assert ids == set()


@pytest.mark.parametrize(("name", "docs", "deaths", "expected"), RETENTION, ids=[c[0] for c in RETENTION])
def test_retention_and_structure(tmp_path: Path, name: str, docs: list, deaths: dict, expected: set[str]) -> None:
    w = World(clients=["A"], documents=docs, deaths=deaths)
    ids, _, _ = eligible_documents(write_world(w, tmp_path, as_of=AS_OF, granted=GRANTED))
    assert ids == expected


def test_client_basic_data_retention(tmp_path: Path) -> None:
    """The client's own row goes two years after death (the Act's row for client basic data)."""
    import duckdb

    from extractor.config.load import load_config
    from extractor.eligibility.apply import apply_eligibility
    from extractor.sources import register_sources

    w = World(clients=["A", "B", "C"], documents=[], deaths={"A": D(2024, 6, 30), "B": D(2024, 7, 1)})
    cfg = load_config(write_world(w, tmp_path), today=D(2026, 11, 1))
    con = duckdb.connect()
    apply_eligibility(con, cfg, register_sources(con, cfg.catalog).rows)
    assert {r[0] for r in con.execute("SELECT client_id FROM elig.clients").fetchall()} == {"B", "C"}


def test_overdue_list_covers_every_overdue_document(tmp_path: Path) -> None:
    """The DPO's list has all overdue documents, even those another rule already left out."""
    import duckdb

    from extractor.config.load import load_config
    from extractor.eligibility.apply import apply_eligibility
    from extractor.sources import register_sources

    w = World(clients=["A"], documents=[("d1", "d1", "A", "R1", "15", "S1", D(2010, 1, 1)),
                                        ("d2", "d2", "A", "R1", "15", "S1", None)],
              opt_outs=[("A", D(2020, 1, 1), None)])
    cfg = load_config(write_world(w, tmp_path), today=D(2026, 11, 1))
    con = duckdb.connect()
    result = apply_eligibility(con, cfg, register_sources(con, cfg.catalog).rows)
    view = result.overdue_views["documents"]
    assert [r[0] for r in con.execute(f"SELECT original_oid FROM {view}").fetchall()] == ["d1"]
    assert {r.rule: r.rows for r in result.ledger if r.table == "documents"}["opt_out"] == 2


BAD_REGISTERS = [
    ("ban without a person", {"bans": [(None, "registrar", "R1", D(2026, 1, 1), None, None)]}, "column 'client_id' is empty"),
    ("ban without a date", {"bans": [("A", "registrar", "R1", None, None, None)]}, "column 'set_on' is empty"),
    ("ban with an unknown scope", {"bans": [("A", "everything", "R1", D(2026, 1, 1), None, None)]}, "scope must be one of"),
    ("ban revoked before it was set", {"bans": [("A", "registrar", "R1", D(2026, 2, 1), D(2026, 1, 1), None)]},
     "'revoked_on' is before 'set_on'"),
    ("ban whose person is an empty string", {"bans": [("", "registrar", "R1", D(2026, 1, 1), None, None)]},
     "column 'client_id' is empty"),  # Parquet writes '' where CSV has nothing: both are no one
    ("ban whose target is blank", {"bans": [("A", "registrar", "  ", D(2026, 1, 1), None, None)]},
     "column 'target' is empty"),
    ("consent for an empty study", {"consents": [("A", "", D(2026, 1, 1), None)]}, "column 'study' is empty"),
    ("opt-out in the future", {"opt_outs": [("A", D(2031, 1, 1), None)]}, "a date after today"),
    ("consent withdrawn before given", {"consents": [("A", "S1", D(2026, 2, 1), D(2026, 1, 1))]},
     "'withdrawn_on' is before 'given_on'"),
]


@pytest.mark.parametrize(("name", "rows", "message"), BAD_REGISTERS, ids=[c[0] for c in BAD_REGISTERS])
def test_unreadable_register_rows_stop_the_run(tmp_path: Path, name: str, rows: dict, message: str) -> None:
    from extractor.errors import ExtractorError

    w = base_world()
    for key, value in rows.items():
        setattr(w, key, value)
    purpose = "consented_research" if "consents" in rows else "research"
    with pytest.raises(ExtractorError, match=message) as info:
        eligible_documents(write_world(w, tmp_path, purpose=purpose, study="S1" if "consents" in rows else None))
    assert "\n" not in str(info.value) and re.search(r"\.parquet:\d+: \(", str(info.value))


def test_the_first_check_that_fails_is_reported_at_its_first_line(tmp_path: Path) -> None:
    """Checks run in a fixed order (empty columns, contradictory periods, future dates, scope), each naming
    its first failing line: a missing person on line 3 is reported before an unknown scope on line 1."""
    from extractor.errors import ExtractorError

    w = base_world()
    w.bans = [("A", "everything", "R1", D(2026, 1, 1), None, None), ("A", "registrar", "R1", D(2026, 2, 1), None, None),
              (None, "registrar", "R1", D(2026, 1, 1), None, None), (None, "document", "d1", D(2026, 1, 1), None, None)]
    with pytest.raises(ExtractorError, match=r"\.parquet:3: \(.*column 'client_id' is empty") as info:
        eligible_documents(write_world(w, tmp_path))
    assert "scope=registrar" in str(info.value)  # the row of line 3 itself is shown


def test_warnings_for_rows_that_match_nothing(tmp_path: Path) -> None:
    w = base_world()
    w.bans = [("Z", "registrar", "R1", D(2026, 1, 1), None, None), ("A", "document", "nope", D(2026, 1, 1), None, "99")]
    w.opt_outs = [("A", D(2020, 1, 1), D(2022, 1, 1)), ("A", D(2021, 1, 1), None)]
    ids, result, _ = eligible_documents(write_world(w, tmp_path))
    text = " | ".join(result.warnings)
    assert "bans.parquet: 1 row(s) name a person not in the data, so they apply to no one (lines 1)" in text
    assert "1 active document ban(s) name a target that no record of that person carries (kept in force; lines 2)" \
        in text
    assert "1 ban(s) carry a setter code not in representative_codes (31, 32, 33, 34); they apply, counted as the " \
           "client's own (lines 2)" in text
    assert "opt_outs.parquet: 1 opt-out(s) overlap an earlier one still in force; any one in force applies " \
           "(lines 2)" in text
    assert "person" not in text.replace("a person not in", "").replace("of that person", "")  # no key shown
    assert ids == {"b1"}  # the overlapping opt-outs still exclude A


def test_a_person_with_documents_but_no_client_row_is_in_the_data(tmp_path: Path) -> None:
    """The registers' rows were checked against the clients table alone: C's opt-out and ban, applied to C's
    documents, were also reported as naming nobody, and under unknown_person = 'stop' the run was refused."""
    import dataclasses

    from extractor.config.policy import default_policy_path

    w = base_world()
    w.documents = [*w.documents, ("c1", "c1", "C", "R1", "10"), ("c2", "c2", "C", "R2", "10")]
    w.opt_outs = [("C", D(2020, 1, 1), None)]
    w.bans = [("C", "registrar", "R1", D(2026, 1, 1), None, None), ("Z", "registrar", "R1", D(2026, 1, 1), None, None)]
    ids, result, _ = eligible_documents(write_world(w, tmp_path / "warn"))
    text = " | ".join(result.warnings)
    assert "bans.parquet: 1 row(s) name a person not in the data, so they apply to no one (lines 2)" in text  # Z
    assert "opt_outs.parquet" not in text
    assert not {"c1", "c2"} & ids
    request = write_world(dataclasses.replace(w, bans=w.bans[:1]), tmp_path / "stop",
                          extra_request='policy = "policy.toml"')
    (request.parent / "policy.toml").write_text(default_policy_path().read_text(encoding="utf-8").replace(
        'unknown_person = "warn"', 'unknown_person = "stop"'), encoding="utf-8")
    ids, result, _ = eligible_documents(request)  # not refused: C is in the data
    assert not {"c1", "c2"} & ids


def test_an_opt_out_or_consent_written_twice_is_named(tmp_path: Path) -> None:
    """Identical rows were silent (the overlap check needs a later start): the README lists repeats."""
    w = base_world()
    w.opt_outs = [("A", D(2020, 1, 1), None), ("A", D(2020, 1, 1), None), ("B", D(2020, 1, 1), D(2020, 6, 1))]
    w.consents = [("B", "S1", D(2025, 1, 1), None), ("B", "S1", D(2025, 1, 1), None), ("B", "S2", D(2025, 1, 1), None)]
    ids, result, _ = eligible_documents(write_world(w, tmp_path, purpose="consented_research", study="S1"))
    text = " | ".join(result.warnings)
    assert "opt_outs.parquet: 2 row(s) repeat another (same person and date); they count once (lines 1, 2)" in text
    assert "consents.parquet: 2 row(s) repeat another (same person and date); they count once (lines 1, 2)" in text
    assert ids == {"b1"}  # A opted out; B consented to S1


def test_a_warning_counts_every_row_and_names_the_first_five_lines(tmp_path: Path) -> None:
    """Every check of every register is counted on its own (they are found in one pass): 7 unknown persons in the
    bans (lines 1-7), 6 unmatched document bans (lines 8-13) and 2 in the opt-outs give three counts, each
    naming its own first five lines, '…' only where more rows were found."""
    w = base_world()
    w.bans = [(f"Z{i}", "registrar", "R1", D(2026, 1, 1), None, None) for i in range(7)] + \
        [("A", "document", f"nope{i}", D(2026, 1, 1), None, None) for i in range(6)]
    w.opt_outs = [("Y1", D(2020, 1, 1), None), ("Y2", D(2020, 1, 1), None)]
    _, result, _ = eligible_documents(write_world(w, tmp_path))
    text = " | ".join(result.warnings)
    assert "bans.parquet: 7 row(s) name a person not in the data, so they apply to no one (lines 1, 2, 3, 4, 5, …)" \
        in text
    assert "6 active document ban(s) name a target that no record of that person carries (kept in force; lines 8, 9, " \
           "10, 11, 12, …)" in text
    assert "opt_outs.parquet: 2 row(s) name a person not in the data, so they apply to no one (lines 1, 2)" in text


def test_bans_set_twice_on_one_target_are_named(tmp_path: Path) -> None:
    w = base_world()
    w.bans = [("A", "registrar", "R1", D(2026, 1, 1), None, None), ("A", "registrar", "R1", D(2026, 2, 1), None, None),
              ("A", "registrar", "R2", D(2025, 1, 1), D(2025, 6, 1), None),
              ("A", "registrar", "R2", D(2025, 7, 1), None, None)]  # revoked, then set again: no overlap
    _, result, _ = eligible_documents(write_world(w, tmp_path))
    text = " | ".join(result.warnings)
    assert "bans.parquet: 1 ban(s) set again while an earlier ban on the same target was in force; either one " \
           "applies (lines 2)" in text


def test_ledger_follows_the_fixed_precedence(tmp_path: Path) -> None:
    from extractor.config.rules import PRECEDENCE

    w = base_world()
    _, result, _ = eligible_documents(write_world(w, tmp_path, purpose="consented_research", study="S1"))
    rules = [r.rule for r in result.ledger if r.table == "documents"]
    assert rules == [r for r in PRECEDENCE if r in rules]
    assert rules == list(PRECEDENCE)  # documents carry every column a rule reads


def test_a_document_whose_person_key_is_empty_names_no_one(tmp_path: Path) -> None:
    """A Parquet export may write '' (or blanks) for a missing key: such a row has no person, like a null one;
    it was kept as a person called '' and a consent row for '' let it into a consent-based extract."""
    w = base_world()
    blanks = ["", "   ", "\t", "\n", "\u00a0", " \u200b\u3000 ", "\ufeff"]
    w.documents = [*w.documents, *[(f"e{i}", f"e{i}", k, "R1", "10") for i, k in enumerate(blanks)],
                   ("e9", "e9", None, "R1", "10")]
    ids, result, _ = eligible_documents(write_world(w, tmp_path))
    assert ids == ALL
    row = next(r for r in result.ledger if r.table == "documents" and r.rule == "missing_person_key")
    assert (row.rows, row.persons) == (len(blanks) + 1, 0)  # left out, and nobody is counted as affected


@pytest.mark.parametrize("key", ["A\t", "\u00a0A", "Ä1", "!", "x"])
def test_a_key_with_anything_visible_in_it_is_a_person(key: str) -> None:
    import duckdb

    from extractor.sql import is_blank_sql
    assert duckdb.execute(f"SELECT {is_blank_sql('k')} FROM (SELECT ?::VARCHAR AS k)", [key]).fetchone()[0] is False


def test_retention_whose_event_the_catalog_does_not_record_is_said(tmp_path: Path) -> None:
    """Without [retention] death_date the deceased's records cannot be found: they are kept, and the DPO is told,
    as is a document without a service task (it was shown as 'service task None')."""
    from builders import CATALOG

    w = base_world()
    w.deaths = {"B": D(2020, 1, 1)}  # B's records are overdue where the death date is known
    w.documents = [*w.documents, ("n1", "n1", "A", "R1", None)]
    request = write_world(w, tmp_path)
    (tmp_path / "catalog.toml").write_text(CATALOG.replace('death_date = "clients.death_date"\n', ""),
                                           encoding="utf-8")
    ids, result, _ = eligible_documents(request)
    text = " | ".join(result.warnings)
    assert "b1" in ids and "Retention from a client's death could not be applied" in text
    assert "3 rows with service task '10': retention runs from the client's death, which the data do not record" in text
    assert "1 rows without a service task: no retention rule applies; kept" in text and "None" not in text


@pytest.mark.parametrize(("first", "second", "kept"), [
    ("20", "15", True),   # task 20 has no retention rule: it keeps the record, in either column
    ("15", "20", True),
    ("15", "15", False),  # both tasks' periods ended: past retention
    ("15", None, False),  # one task named
    (None, "15", False),
])
def test_a_record_under_two_service_tasks_is_kept_while_either_keeps_it(tmp_path: Path, first: str | None,
                                                                        second: str | None, kept: bool) -> None:
    """Retention read every service-task column the catalog names, as bans do, whatever their order (it read
    only the first one)."""
    import duckdb

    w = base_world()
    w.documents = [*w.documents, ("t1", "t1", "A", "R1", first, "S1", D(2010, 1, 1))]
    request = write_world(w, tmp_path)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(
        'service_task = "service_task"\n', 'service_task = "service_task"\nservice_task_2 = "service_task"\n', 1),
        encoding="utf-8")
    docs = tmp_path / "documents.parquet"
    second_sql = "NULL::VARCHAR" if second is None else f"'{second}'"
    duckdb.execute(f"COPY (SELECT *, CASE WHEN doc_id = 't1' THEN {second_sql} END AS service_task_2 "
                   f"FROM '{docs}') TO '{tmp_path / 'd2.parquet'}'")
    (tmp_path / "d2.parquet").replace(docs)
    ids, _, _ = eligible_documents(request)
    assert ("t1" in ids) is kept


def test_a_death_date_after_today_is_said_and_the_client_kept(tmp_path: Path) -> None:
    w = base_world()
    w.deaths = {"B": D(2030, 1, 1)}  # after the test's today, 2026-11-01
    ids, result, _ = eligible_documents(write_world(w, tmp_path))
    assert "b1" in ids
    assert any("1 rows give a death date after today (2026-11-01)" in str(x) for x in result.warnings)


def test_a_consent_to_the_study_written_otherwise_is_named_not_counted(tmp_path: Path) -> None:
    """A consent is to the study as named: 'diab 2024' is not consent to 'DIAB-2024' (B is left out), but the
    DPO is told, with its lines; another study (S2) is no near miss."""
    w = base_world()
    w.consents = [("A", "DIAB-2024", D(2025, 1, 1), None), ("B", "diab 2024", D(2025, 1, 1), None),
                  ("B", "S2", D(2025, 1, 1), None), ("C", " DIAB-2024", D(2025, 1, 1), None)]
    ids, result, _ = eligible_documents(write_world(w, tmp_path, purpose="consented_research", study="DIAB-2024"))
    text = " | ".join(result.warnings)
    assert ("consents.parquet: 2 consent(s) name the study almost as the request does (DIAB-2024) but not exactly, "
            "so they were not counted as consent to it; check the study's name in the register (lines 2, 4)") in text
    assert {i[0] for i in ids} == {"a"}  # A consented; B and C wrote the study otherwise


@pytest.mark.parametrize(("second_death", "kept", "different", "undated"), [
    (D(2025, 6, 1), False, True, False),  # the earliest (2024-01-01) ended child welfare's two years by 2026-06-30
    (D(2024, 1, 1), False, False, False),  # the same date twice: no conflict
    (None, False, False, True),  # dated in one row, empty in the other: the date still applies to B's records
])
def test_a_client_written_twice_with_different_death_dates(tmp_path: Path, second_death: dt.date | None, kept: bool,
                                                            different: bool, undated: bool) -> None:
    """Two rows of client B disagree on the death date: the earliest is used for retention (it ends a period
    first: the rule leaves out rather than keeps), and the DPO is told how many clients disagree; a row without
    a date beside one with a date is said too (it was silent)."""
    w = base_world()
    w.deaths = {"B": D(2024, 1, 1)}
    request = write_world(w, tmp_path)
    clients = request.parent / "clients.parquet"
    date = f"DATE '{second_death}'" if second_death else "NULL::DATE"
    duckdb.execute(f"COPY (SELECT * FROM '{clients}' UNION ALL SELECT * REPLACE ({date} AS death_date) "
                   f"FROM '{clients}' WHERE client_id = 'B') TO '{tmp_path / 'c2.parquet'}'")
    (tmp_path / "c2.parquet").replace(clients)
    ids, result, _ = eligible_documents(request)
    assert ("b1" in ids) is kept
    text = " | ".join(str(x) for x in result.warnings)
    assert ("1 client(s) have rows with different death dates" in text) is different
    assert ("1 client(s) have a death date in one row and none in another" in text) is undated


@pytest.mark.parametrize(("set_on", "applies"), [
    ("2026-03-01 10:00:00", True),  # made at 10:00 on the grant day: in force that day
    ("2026-03-01 23:59:59", True),
    ("2026-03-02 00:00:01", False),  # the day after the grant
])
def test_an_opt_out_with_a_time_of_day_counts_from_its_day(tmp_path: Path, set_on: str, applies: bool) -> None:
    """A register declared with timestamps is about days: compared as timestamps with the grant date at midnight,
    an opt-out made on the grant day was ignored (from the fourth consent audit)."""
    w = base_world()
    w.opt_outs = [("A", D(2020, 1, 1), None)]
    request = write_world(w, tmp_path)
    folder = request.parent
    path = folder / "opt_outs.parquet"
    duckdb.execute(f"COPY (SELECT client_id, TIMESTAMP '{set_on}' AS set_on, CAST(withdrawn_on AS TIMESTAMP) AS "
                   f"withdrawn_on FROM '{path}') TO '{tmp_path / 'o.parquet'}'")
    (tmp_path / "o.parquet").replace(path)
    catalog = folder / "catalog.toml"
    text = catalog.read_text(encoding="utf-8")
    head, tail = text.split("[registers.opt_out]", 1)
    tail = tail.replace('set_on = "set_on"', 'set_on = { column = "set_on", type = "timestamp" }', 1).replace(
        'withdrawn_on = "withdrawn_on"', 'withdrawn_on = { column = "withdrawn_on", type = "timestamp" }', 1)
    catalog.write_text(head + "[registers.opt_out]" + tail, encoding="utf-8")
    ids, _, _ = eligible_documents(request)
    assert (not {"a1", "a2"} & ids) is applies


@pytest.mark.parametrize(("consents", "kept"), [
    # given in 2025 and again in 2026, the 2026 one withdrawn: the person said no to the study (fourth audit)
    ([("A", "S1", D(2025, 6, 1), None), ("A", "S1", D(2026, 1, 1), D(2026, 4, 1))], False),
    # withdrawn, then given again later: the new consent counts
    ([("A", "S1", D(2025, 6, 1), D(2025, 9, 1)), ("A", "S1", D(2026, 1, 1), None)], True),
    # given again on the day of the withdrawal: the new consent counts
    ([("A", "S1", D(2025, 6, 1), D(2026, 1, 1)), ("A", "S1", D(2026, 1, 1), None)], True),
    # a withdrawal after the as-of date but before the extract is made: processing after it is not allowed
    ([("A", "S1", D(2025, 6, 1), None), ("A", "S1", D(2026, 1, 1), D(2026, 8, 1))], False),
    ([("A", "S1", D(2025, 6, 1), D(2026, 8, 1))], False),
    # a withdrawal from another study takes nothing back
    ([("A", "S1", D(2025, 6, 1), None), ("A", "S2", D(2026, 1, 1), D(2026, 4, 1))], True),
])
def test_a_withdrawal_takes_back_every_earlier_consent_to_the_study(tmp_path: Path, consents: list,
                                                                    kept: bool) -> None:
    w = base_world()
    w.consents = consents
    ids, _, _ = eligible_documents(write_world(w, tmp_path, purpose="consented_research", study="S1"))
    assert ("a1" in ids) is kept


@pytest.mark.parametrize("first_original", ["", None])
def test_a_document_ban_reaches_a_first_version_without_its_original_id(tmp_path: Path, first_original) -> None:
    """The first version's original_oid left empty (it is its own original): a ban on document O1 leaves out
    both versions (from the fourth consent audit: the first was released), and no warning says the ban matched
    nothing; another person's empty original is untouched."""
    w = base_world()
    w.documents = [*w.documents, ("O1", first_original, "B", "R2", "20"), ("O1v2", "O1", "B", "R2", "20"),
                   ("b9", first_original, "B", "R2", "20")]
    w.bans = [("B", "document", "O1", D(2026, 1, 1), None, None)]
    ids, result, _ = eligible_documents(write_world(w, tmp_path))
    assert not {"O1", "O1v2"} & ids and {"b1", "b9", "a1"} <= ids
    assert not any("no record of that person" in str(x) for x in result.warnings)
