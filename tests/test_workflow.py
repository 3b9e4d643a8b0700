"""The airlock and the audit log: two independent reviewers, release of approved runs only, a log that
detects edits, deletions and reordering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builders import submitted_run
from conftest import TEST_KEY
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract
from extractor.release import audit_log, workflow


@pytest.fixture()
def submitted(tmp_path: Path):
    _, out, run_id = submitted_run(tmp_path)
    con = audit_log.connect(out)
    yield con, run_id, out, tmp_path
    con.close()


def test_run_is_submitted_and_logged(submitted) -> None:
    con, run_id, _, _ = submitted
    assert con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone() == ("submitted",)
    action, details = con.execute("SELECT action, details FROM audit_log WHERE run_id = ?", [run_id]).fetchone()
    assert action == "run" and '"inputs"' in details and '"outputs"' in details and TEST_KEY not in details
    assert audit_log.verify(con) == 1


def test_requester_cannot_review_own_request(submitted) -> None:
    con, run_id, _, _ = submitted
    with pytest.raises(ExtractorError, match="made the request and may not review it"):
        workflow.decide(con, run_id, "R", "approve")
    with pytest.raises(ExtractorError, match="made the request"):
        workflow.decide(con, run_id, "r@example.org", "approve")


def test_two_blind_reviews_then_release(submitted) -> None:
    con, run_id, out, tmp = submitted
    with pytest.raises(ExtractorError, match="only an approved run may be released"):
        workflow.release(con, run_id, tmp / "released")
    assert workflow.decide(con, run_id, "alice", "approve") == "submitted"
    assert workflow.visible_reviews(con, run_id, "bob")[1] == []  # bob cannot see alice's decision
    assert [r[0] for r in workflow.visible_reviews(con, run_id, "alice")[1]] == ["alice"]
    with pytest.raises(ExtractorError, match="already decided"):
        workflow.decide(con, run_id, "alice", "reject")
    assert workflow.decide(con, run_id, "bob", "approve") == "approved"
    assert {r[0] for r in workflow.visible_reviews(con, run_id, "bob")[1]} == {"alice", "bob"}
    with pytest.raises(ExtractorError, match="is approved, not awaiting review"):
        workflow.decide(con, run_id, "carol", "reject")
    final = workflow.release(con, run_id, tmp / "released")
    assert (final / "manifest.json").is_file() and (final / "t.csv").is_file()
    with pytest.raises(ExtractorError, match="is released"):
        workflow.release(con, run_id, tmp / "released")
    actions = [r[0] for r in con.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
    assert actions == ["run", "review", "review", "release"]
    assert audit_log.verify(con) == 4


@pytest.mark.parametrize(("decisions", "outcome"), [(("approve", "return"), "returned"),
                                                    (("approve", "reject"), "rejected"),
                                                    (("return", "reject"), "rejected")])
def test_outcomes(submitted, decisions: tuple[str, str], outcome: str) -> None:
    con, run_id, _, _ = submitted
    workflow.decide(con, run_id, "alice", decisions[0])
    assert workflow.decide(con, run_id, "bob", decisions[1]) == outcome


def _three_records(con, run_id: str) -> None:
    workflow.decide(con, run_id, "alice", "approve", "fine")
    workflow.decide(con, run_id, "bob", "return", "too detailed")


TAMPER = [
    ("edit a decision", "UPDATE audit_log SET details = replace(details, 'return', 'approve') WHERE seq = 3",
     "record 3 (review) was edited"),
    ("edit the actor", "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2", "record 2 (review) was edited"),
    ("delete a record", "DELETE FROM audit_log WHERE seq = 2", "record 2 is missing"),
    ("delete the last two and renumber", "DELETE FROM audit_log WHERE seq >= 2; UPDATE audit_log SET seq = seq",
     None),
    ("reorder two records", "UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 3 WHEN 3 THEN 2 ELSE seq END",
     "does not follow"),
]


@pytest.mark.parametrize(("name", "sql", "message"), TAMPER, ids=[t[0] for t in TAMPER])
def test_tampering_is_detected(submitted, name: str, sql: str, message: str | None) -> None:
    con, run_id, _, _ = submitted
    _three_records(con, run_id)
    assert audit_log.verify(con) == 3
    con.execute(sql)
    if message is None:  # truncating the tail leaves a valid shorter chain ...
        assert audit_log.verify(con) == 1
        return
    with pytest.raises(ExtractorError, match=re.escape(message)):
        audit_log.verify(con)


def test_truncation_after_a_later_run_is_caught_by_its_anchor(submitted) -> None:
    con, run_id, out, tmp = submitted
    cfg = load_config(tmp / "world" / "request.toml")
    con.close()
    run_extract(cfg, out, TEST_KEY.encode())  # a second run anchors record 2
    con = audit_log.connect(out)
    assert audit_log.verify(con) == 2 and audit_log.verify_anchors(con, out) == 2
    con.execute("DELETE FROM audit_log WHERE seq = 2")
    assert audit_log.verify(con) == 1  # the shorter chain is consistent in itself ...
    with pytest.raises(ExtractorError, match="record 2 named by .* is missing or changed"):
        audit_log.verify_anchors(con, out)  # ... but the run folder remembers record 2
    con.close()
