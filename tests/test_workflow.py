"""The airlock and the audit log: two independent output checkers, release of approved runs only, a signed
log whose edits, deletions, reorderings and re-signings are detected, and state derived from it."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from builders import accounts, submitted_run
from conftest import TEST_KEY
from extractor.errors import ExtractorError
from extractor.release import audit_log, workflow
from extractor.release.store import Store, opened
from extractor.release.verify import verify_store
from extractor.release.workflow import Refused


@pytest.fixture()
def submitted(tmp_path: Path):
    _, out, run_id = submitted_run(tmp_path)
    accounts(out, "T-1", checkers=("alice", "bob", "carol"), requesters=("r",))
    with opened(out) as store:
        yield store, run_id, out, tmp_path


def actions(store: Store) -> list[str]:
    return [r.action for r in audit_log.read(store.db())]


def test_run_is_submitted_and_logged(submitted) -> None:
    store, run_id, _, _ = submitted
    run = store.reading().run(run_id)
    assert run.status == "submitted" and run.run_dir == f"T-1/{run_id}"  # relative to the output root
    record = audit_log.read(store.db(), run_id=run_id)[0]
    assert record.action == "run" and "inputs" in record.data and "outputs" in record.data
    assert TEST_KEY not in record.details and "/" not in "".join(record.data["inputs"])  # file names, not paths
    assert actions(store)[0] == "store-created"


def test_the_record_holds_each_input_file_s_own_sha256(submitted) -> None:
    """The inputs are hashed in a thread beside the stages: the record still holds every file's own hash."""
    import hashlib

    store, run_id, _, tmp_path = submitted
    inputs = audit_log.read(store.db(), run_id=run_id)[0].data["inputs"]
    files = {p.name: p for p in (tmp_path / "world").iterdir() if p.suffix in (".csv", ".parquet")}
    assert inputs and set(inputs) <= set(files)
    assert inputs == {name: hashlib.sha256(files[name].read_bytes()).hexdigest() for name in inputs}


def test_the_requester_account_may_not_review_their_own_run(submitted) -> None:
    store, run_id, _, _ = submitted
    with pytest.raises(Refused, match="Requesters see") as refused:  # the requester of the project
        workflow.decide(store, "r", run_id, "approve")
    assert refused.value.status == 403
    with pytest.raises(Refused, match="Requesters see"):
        workflow.decide(store, "R", run_id, "approve")  # the same account, however it is typed
    with pytest.raises(Refused, match="No such run"):  # an account with no part in the project
        accounts(store.out_root, "other-project", checkers=("dave",), requesters=())
        workflow.decide(store, "dave", run_id, "approve")


def test_an_account_whose_email_is_the_requests_contact_is_the_requester(submitted) -> None:
    store, run_id, out, _ = submitted
    from extractor.release.accounts import add_account, grant

    add_account(store, "tuuli", "correct horse battery", email="R@Example.org")
    grant(store, "tuuli", "T-1", "checker")
    with pytest.raises(Refused, match="handed this request in"):
        workflow.decide(store, "tuuli", run_id, "approve")


def test_two_blind_reviews_then_release(submitted) -> None:
    store, run_id, out, tmp = submitted
    with pytest.raises(Refused, match="approved"):
        workflow.release(store, "alice", run_id, tmp / "released")
    assert workflow.decide(store, "alice", run_id, "approve") == "submitted"
    run = store.reading().run(run_id)
    assert workflow.visible_reviews(run, "bob") == []  # bob cannot see alice's decision
    assert [r.reviewer for r in workflow.visible_reviews(run, "alice")] == ["alice"]
    with pytest.raises(Refused, match="already decided"):
        workflow.decide(store, "alice", run_id, "reject", "changed my mind")
    assert workflow.decide(store, "bob", run_id, "approve") == "approved"
    assert {r.reviewer for r in workflow.visible_reviews(store.reading().run(run_id), "bob")} == {"alice", "bob"}
    with pytest.raises(Refused, match="is approved"):
        workflow.decide(store, "carol", run_id, "reject", "late")
    final = workflow.release(store, "carol", run_id, tmp / "released")
    assert (final / "manifest.json").is_file() and (final / "t.csv").is_file()
    assert (tmp / "released" / "T-1" / f"{run_id}.audit_receipt.json").is_file()
    with pytest.raises(Refused, match="is released"):
        workflow.release(store, "alice", run_id, tmp / "released-again")
    assert actions(store)[-3:] == ["review", "review", "release"]
    v = verify_store(out)
    assert v.witnesses == 4 and v.key_pinned_by == "the signing key file"


@pytest.mark.parametrize(("decisions", "outcome"), [(("approve", "return"), "returned"),
                                                    (("approve", "reject"), "rejected"),
                                                    (("return", "reject"), "rejected")])
def test_outcomes(submitted, decisions: tuple[str, str], outcome: str) -> None:
    store, run_id, _, _ = submitted
    workflow.decide(store, "alice", run_id, decisions[0], "why")
    assert workflow.decide(store, "bob", run_id, decisions[1], "why") == outcome


def _tamper(out: Path, sql: str) -> None:
    con = sqlite3.connect(out / ".extractor" / "state.sqlite")
    con.executescript(sql)
    con.close()


def _rehash_from(out: Path, seq: int) -> None:
    """What an operator with file access but no signing key can do: recompute every hash from `seq` on."""
    con = sqlite3.connect(out / ".extractor" / "state.sqlite")
    rows = con.execute("SELECT seq, recorded_at, actor, action, request_id, run_id, details, prev_hash FROM audit_log "
                       "ORDER BY seq").fetchall()
    prev = None
    for seq_, at, who, action, request_id, run_id, details, prev_hash in rows:
        if seq_ >= seq:
            prev_hash = prev
            digest = audit_log.record_hash(prev_hash, {"seq": seq_, "at": at, "actor": who, "action": action,
                                                       "request_id": request_id, "run_id": run_id, "details": details})
            con.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", [prev_hash, digest, seq_])
        prev = con.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq_]).fetchone()[0]
    con.commit()
    con.close()


TAMPER = [
    ("edit a decision", "UPDATE audit_log SET details = replace(details, 'return', 'approve') WHERE action = 'review'",
     None, "was edited"),
    ("edit the actor", "UPDATE audit_log SET actor = 'mallory' WHERE action = 'review'", None, "was edited"),
    ("delete a record", "DELETE FROM audit_log WHERE action = 'run'", None, "is missing"),
    ("edit and re-hash the chain", "UPDATE audit_log SET details = replace(details, 'return', 'approve') "
     "WHERE action = 'review'", "rehash", "is not signed by the log's key"),
    ("delete the newest records", "DELETE FROM audit_log WHERE action = 'review'", None, "records were deleted"),
    ("reorder two records", "UPDATE audit_log SET seq = -1 WHERE seq = (SELECT max(seq) FROM audit_log) - 1; "
     "UPDATE audit_log SET seq = seq - 1 WHERE seq = (SELECT max(seq) FROM audit_log); "
     "UPDATE audit_log SET seq = (SELECT max(seq) FROM audit_log) + 1 WHERE seq = -1", None, "does not follow"),
    ("edit a password hash", "UPDATE credentials SET password_hash = 'scrypt$16384$8$1$00$00' WHERE account = 'alice'",
     None, "credentials of account 'alice'"),
]


@pytest.mark.parametrize(("name", "sql", "rehash", "message"), TAMPER, ids=[t[0] for t in TAMPER])
def test_tampering_is_detected(submitted, name: str, sql: str, rehash: str | None, message: str) -> None:
    store, run_id, out, _ = submitted
    workflow.decide(store, "alice", run_id, "approve", "fine")
    workflow.decide(store, "bob", run_id, "return", "too detailed")
    verify_store(out)
    store.close()
    _tamper(out, sql)
    if rehash:
        _rehash_from(out, 2)
    with pytest.raises(ExtractorError, match=re.escape(message)):
        verify_store(out)


def test_a_log_replaced_with_one_signed_by_another_key_is_detected(submitted, monkeypatch) -> None:
    store, run_id, out, tmp = submitted
    store.close()
    import shutil

    (out / ".extractor" / "state.sqlite").unlink()
    for extra in (out / ".extractor").glob("state.sqlite-*"):
        extra.unlink()
    shutil.move(out / ".extractor" / "audit_signing.key", tmp / "real.key")
    from extractor.release.accounts import add_account

    # the head file names a record the new log lacks, and no key is made beside it: refused either way
    with pytest.raises(ExtractorError, match="no longer holds|no audit signing key here"), opened(out) as fresh:
        add_account(fresh, "mallory", "correct horse battery")
    (out / ".extractor" / "audit_head.json").unlink()  # so the operator removes it too
    with opened(out) as fresh:  # a new, self-consistent log under a new key
        add_account(fresh, "mallory", "correct horse battery")
    with pytest.raises(ExtractorError, match="witness .* (re-keyed|records were deleted|another hash)"):
        verify_store(out)
    monkeypatch.setenv("EXTRACTOR_AUDIT_KEY_FILE", str(tmp / "real.key"))
    with pytest.raises(ExtractorError, match="the log was replaced"):
        verify_store(out)


def test_a_forgotten_key_variable_leaves_no_second_key(submitted, tmp_path: Path, monkeypatch) -> None:
    """From the fourth airlock attack: `users add` without EXTRACTOR_AUDIT_KEY_FILE made a new key beside a log
    signed by another, and a later verify said the log was replaced. A key is now made only for an empty log."""
    import shutil

    _, _, out, _ = submitted
    moved = tmp_path / "kept-elsewhere.key"
    shutil.copy(out / ".extractor" / "audit_signing.key", moved)
    (out / ".extractor" / "audit_signing.key").unlink()
    from extractor.release.accounts import add_account

    with pytest.raises(ExtractorError, match="no audit signing key here"), opened(out) as store:
        add_account(store, "mallory", "correct horse battery")
    assert not (out / ".extractor" / "audit_signing.key").exists()
    monkeypatch.setenv("EXTRACTOR_AUDIT_KEY_FILE", str(moved))
    with opened(out) as store:
        add_account(store, "mallory", "correct horse battery")
    verify_store(out)
