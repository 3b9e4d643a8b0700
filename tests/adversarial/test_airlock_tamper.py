"""An operator with file access edits the store: every edit is detected, and nothing is released because of it.

What such an operator can and cannot do unseen is docs/airlock-threat-model.md; these are its tests.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from adversarial.airlock_world import make_world, sign_in

from builders import accounts
from extractor.errors import ExtractorError
from extractor.release import audit_log, workflow
from extractor.release.store import opened
from extractor.release.verify import verify_store


@pytest.fixture()
def world(tmp_path: Path):
    return make_world(tmp_path)


def _sql(out: Path, sql: str, params: tuple = ()) -> None:
    con = sqlite3.connect(out / ".extractor" / "state.sqlite")
    con.execute(sql, params)
    con.commit()
    con.close()


def _rehash_all(out: Path) -> None:
    """Recompute every hash after an edit, as an operator without the signing key can."""
    con = sqlite3.connect(out / ".extractor" / "state.sqlite")
    prev = audit_log.GENESIS
    rows = con.execute("SELECT seq, recorded_at, actor, action, request_id, run_id, details FROM audit_log "
                       "ORDER BY seq").fetchall()
    for seq, at, who, action, rid, run, details in rows:
        digest = audit_log.record_hash(prev, {"seq": seq, "at": at, "actor": who, "action": action,
                                              "request_id": rid, "run_id": run, "details": details})
        con.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", [prev, digest, seq])
        prev = digest
    con.commit()
    con.close()


def test_a_rejection_edited_into_an_approval_releases_nothing(world) -> None:
    run = world.runs["T-1"]
    with opened(world.out) as store:
        workflow.decide(store, "alice", run, "approve")
        workflow.decide(store, "bob", run, "reject", "too detailed")
    server = world.client()  # a server already running when the operator edits
    csrf = sign_in(server, "alice")
    _sql(world.out, "UPDATE audit_log SET details = replace(details, '\"reject\"', '\"approve\"') "
                    "WHERE action = 'review'")
    assert server.post(f"/runs/{run}/release", data={"csrf": csrf}).status_code == 409  # its state: rejected
    with pytest.raises(ExtractorError, match="was edited"):
        world.client()  # a server started now refuses to serve an edited log
    with pytest.raises(ExtractorError, match="was edited"):
        verify_store(world.out)
    with pytest.raises(ExtractorError, match="was edited"), opened(world.out) as store:
        workflow.release(store, "alice", run, world.released)
    assert not world.released.exists()


def test_an_edited_record_with_every_later_hash_recomputed_is_detected(world) -> None:
    run = world.runs["T-1"]
    with opened(world.out) as store:
        workflow.decide(store, "alice", run, "approve")
        workflow.decide(store, "bob", run, "reject", "too detailed")
    _sql(world.out, "UPDATE audit_log SET details = replace(details, '\"reject\"', '\"approve\"') "
                    "WHERE action = 'review'")
    _rehash_all(world.out)
    with pytest.raises(ExtractorError, match="not signed by the log's key"):
        verify_store(world.out)
    with pytest.raises(ExtractorError, match="not signed by the log's key"), opened(world.out) as store:
        workflow.release(store, "alice", run, world.released)


def test_the_last_four_records_deleted_are_missed_by_nobody(world) -> None:
    run = world.runs["T-1"]
    with opened(world.out) as store:
        for r in world.runs.values():
            workflow.decide(store, "alice", r, "approve")
            workflow.decide(store, "bob", r, "approve")
        for r in world.runs.values():
            workflow.release(store, "alice", r, world.released)
        last = store.reading().count
    verify_store(world.out)
    _sql(world.out, "DELETE FROM audit_log WHERE seq > ?", (last - 4,))  # two reviews, two releases
    with pytest.raises(ExtractorError, match="records were deleted"):
        verify_store(world.out)
    # ... even when the head file inside OUT is put back to an older copy: the receipts outside OUT remain
    head = world.out / ".extractor" / "audit_head.json"
    older = json.loads(head.read_text())
    with opened(world.out) as store:
        kept = audit_log.read(store.db())[-1]
    older.update(seq=kept.seq, hash=kept.hash, signature=kept.signature)
    head.write_text(json.dumps(older))
    with pytest.raises(ExtractorError, match=r"receipt\.json names record .* records were deleted"):
        verify_store(world.out)
    assert run


def test_a_receipt_held_by_the_researcher_is_checked_when_given(world, tmp_path: Path) -> None:
    run = world.runs["T-1"]
    with opened(world.out) as store:
        workflow.decide(store, "alice", run, "approve")
        workflow.decide(store, "bob", run, "approve")
        workflow.release(store, "alice", run, world.released)
        last = store.reading().count
    receipt = world.released / "T-1" / f"{run}.audit_receipt.json"
    kept = tmp_path / "researcher.json"
    kept.write_bytes(receipt.read_bytes())
    for p in world.released.rglob("*"):  # the operator removes every witness they can reach
        if p.is_file():
            p.unlink()
    (world.out / ".extractor" / "witness_folders.txt").unlink()
    (world.out / "T-1" / run / "release_receipt.json").unlink()
    _sql(world.out, "DELETE FROM audit_log WHERE seq = ?", (last,))
    with opened(world.out) as store:  # and puts back the head file with the newest record left, still signed
        left = audit_log.read(store.db())[-1]
    head = world.out / ".extractor" / "audit_head.json"
    head.write_text(json.dumps({**json.loads(head.read_text()), "seq": left.seq, "hash": left.hash,
                                "signature": left.signature}))
    import shutil

    shutil.rmtree(world.released)
    verify_store(world.out, witnesses=[])  # what the operator left verifies on its own ...
    with pytest.raises(ExtractorError, match="records were deleted"):
        verify_store(world.out, witnesses=[kept])  # ... the researcher's copy of the receipt does not


def test_a_status_cannot_be_edited_because_there_is_none_to_edit(world) -> None:
    """Statuses are folded from the signed records; the store has no table of them to edit."""
    con = sqlite3.connect(world.out / ".extractor" / "state.sqlite")
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    con.close()
    assert tables == {"audit_log", "credentials"}


def test_a_password_hash_put_into_the_store_does_not_sign_anyone_in(world) -> None:
    from extractor.release.accounts import hash_password

    forged = hash_password("operator-pw-1")
    _sql(world.out, "UPDATE credentials SET password_hash = ? WHERE account = 'dora'", (forged,))
    client = world.client()
    import re

    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"user": "dora", "password": "operator-pw-1", "login_csrf": token})
    assert response.status_code == 403 and "credentials were edited" in response.text
    with pytest.raises(ExtractorError, match="credentials of account 'dora'"):
        verify_store(world.out)


def test_a_run_folder_put_there_by_hand_is_named(world) -> None:
    import shutil

    run = world.runs["T-1"]
    shutil.copytree(world.out / "T-1" / run, world.out / "T-1" / "20990101T000000Z-forged")
    with pytest.raises(ExtractorError, match="a run folder the audit log does not know"):
        verify_store(world.out)


def _approved(world, run: str) -> None:
    with opened(world.out) as store:
        workflow.decide(store, "alice", run, "approve")
        workflow.decide(store, "bob", run, "approve")


def test_a_file_added_or_changed_after_the_run_is_neither_served_nor_released(world) -> None:
    run = world.runs["T-1"]
    release = world.out / "T-1" / run / "release"
    _approved(world, run)
    (release / "leak.csv").write_text("client_id,hetu\nP1,010101-0101\n", encoding="utf-8")
    with pytest.raises(workflow.Refused, match="leak.csv differ from what the run recorded"), \
            opened(world.out) as store:
        workflow.release(store, "alice", run, world.released)
    (release / "leak.csv").unlink()
    with opened(world.out) as store:
        workflow.release(store, "alice", run, world.released)
    (release / "leak.csv").write_text("client_id,hetu\nP1,010101-0101\n", encoding="utf-8")
    tuuli = world.client()
    sign_in(tuuli, "tuuli")
    assert tuuli.get(f"/runs/{run}/files/leak.csv").status_code == 404  # not a file the run recorded
    text = (release / "t.csv").read_text(encoding="utf-8")
    (release / "t.csv").write_text(text.replace("20,", "20,9"), encoding="utf-8")
    assert tuuli.get(f"/runs/{run}/files/t.csv").status_code == 409  # changed since: not served


def test_a_changed_table_with_a_matching_manifest_is_not_released(world) -> None:
    """The manifest is only a file: what leaves is checked against the signed run record's hashes."""
    import hashlib

    run = world.runs["T-1"]
    release = world.out / "T-1" / run / "release"
    _approved(world, run)
    table = release / "t.csv"
    table.write_text(table.read_text(encoding="utf-8") + "", encoding="utf-8")
    changed = table.read_text(encoding="utf-8").replace("20,", "15,", 1)
    table.write_text(changed, encoding="utf-8")
    manifest = json.loads((release / "manifest.json").read_text())
    for entry in manifest["outputs"]:
        if entry["file"] == "t.csv":
            entry["sha256"] = hashlib.sha256(changed.encode()).hexdigest()
    (release / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(workflow.Refused, match="differ from what the run recorded"), opened(world.out) as store:
        workflow.release(store, "alice", run, world.released)
    assert not world.released.exists() or not any(world.released.rglob("t.csv"))


def test_a_run_folder_replaced_by_a_link_serves_nothing(world, tmp_path: Path) -> None:
    import shutil

    mine, theirs = world.runs["T-1"], world.runs["OTHER"]
    folder = world.out / "T-1" / mine
    shutil.move(folder, tmp_path / "moved")
    folder.symlink_to(tmp_path / "moved")
    alice = world.client()
    sign_in(alice, "alice")
    assert alice.get(f"/runs/{mine}").status_code == 409
    assert alice.get(f"/runs/{mine}/files/t.csv").status_code in (404, 409)
    with pytest.raises(ExtractorError, match="a symbolic link where a run's folder should be"):
        verify_store(world.out)
    folder.unlink()
    shutil.move(tmp_path / "moved", folder)
    review = world.out / "O-1" / theirs / "review"
    shutil.rmtree(review)
    review.symlink_to(world.out / "T-1" / mine / "review")  # another project's report behind a link
    assert alice.get(f"/runs/{theirs}/review/review_en.html").status_code in (404, 409)


def test_a_trigger_added_to_the_store_is_named(world) -> None:
    _sql(world.out, "CREATE TRIGGER no_rejects BEFORE INSERT ON audit_log WHEN NEW.action = 'review' "
                    "AND NEW.details LIKE '%reject%' BEGIN SELECT RAISE(ABORT, 'database is locked'); END")
    with pytest.raises(ExtractorError, match="trigger no_rejects added by hand"):
        verify_store(world.out)


@pytest.mark.parametrize(("sql", "named"), [
    # from the fourth airlock attack: a partial unique index refused one checker's rejection, verify passed
    ("CREATE UNIQUE INDEX audit_log_run_idx ON audit_log((1)) WHERE seq = 1 OR (action = 'review' AND details "
     "NOT LIKE '%\"approve\"%')", "index audit_log_run_idx"),
    ("ALTER TABLE audit_log ADD COLUMN v INTEGER DEFAULT 0 CHECK (NOT (action = 'review' AND details LIKE "
     "'%reject%'))", "table audit_log"),
    ("CREATE VIEW v AS SELECT 1", "view v"),
])
def test_an_index_column_or_view_added_to_the_store_is_named(world, sql: str, named: str) -> None:
    _sql(world.out, sql)
    with pytest.raises(ExtractorError, match=f"{named}.* added by hand"):
        verify_store(world.out)


def test_a_deleted_credentials_row_and_a_removed_head_file_are_named(world) -> None:
    _sql(world.out, "DELETE FROM credentials WHERE account = 'dora'")
    with pytest.raises(ExtractorError, match="credentials of account 'dora'"):
        verify_store(world.out)
    from extractor.release.accounts import hash_password

    _sql(world.out, "INSERT INTO credentials VALUES ('dora', ?)", (hash_password("x" * 12),))
    with pytest.raises(ExtractorError, match="credentials of account 'dora'"):
        verify_store(world.out)


def test_the_head_file_removed_is_named(world) -> None:
    (world.out / ".extractor" / "audit_head.json").unlink()
    with pytest.raises(ExtractorError, match="audit_head.json: missing"):
        verify_store(world.out)


def test_the_actor_of_an_operator_record_is_the_account_of_the_process(world, monkeypatch) -> None:
    import pwd

    monkeypatch.setenv("EXTRACTOR_ACTOR", "dora")
    monkeypatch.setenv("USER", "dora")
    monkeypatch.setenv("LOGNAME", "dora")
    from extractor.release.accounts import add_account

    with opened(world.out) as store:
        add_account(store, "evil1", "correct horse battery", admin=True)
        actor = audit_log.read(store.db())[-1].actor
    assert actor == pwd.getpwuid(os.geteuid()).pw_name != "dora"


def test_verify_warns_when_the_signing_key_lies_in_the_output_root(world) -> None:
    assert any("signing key is inside the output root" in w for w in verify_store(world.out).warnings)


def test_a_deleted_rejection_cannot_be_hidden_by_deciding_again(world) -> None:
    """The operator deletes a checker's rejection, the newest record, and leaves the head witness: the next
    decision would move the head past the gap and `audit verify` would pass. No append goes over the gap."""
    run = world.runs["T-1"]
    accounts(world.out, "T-1", checkers=("carol",), requesters=())
    with opened(world.out) as store:
        workflow.decide(store, "alice", run, "approve")
        workflow.decide(store, "bob", run, "reject", "row-level data")
        last = store.reading().count
    _sql(world.out, "DELETE FROM audit_log WHERE seq = ?", (last,))
    server = world.client()  # the state folds from what is left: the run looks undecided by bob
    csrf = sign_in(server, "carol")
    refused = server.post(f"/runs/{run}/decide", data={"csrf": csrf, "decision": "approve"})
    assert refused.status_code == 409 and "no longer holds" in refused.text, refused.status_code
    with pytest.raises(ExtractorError, match="no longer holds"), opened(world.out) as store:
        workflow.decide(store, "carol", run, "approve")
    with pytest.raises(ExtractorError, match="records were deleted"):
        verify_store(world.out)
    assert not world.released.exists()


def test_a_file_swapped_after_the_release_checks_does_not_leave(world, monkeypatch) -> None:
    """The operator swaps an approved file for other bytes (with a manifest to match) right after the release
    re-checks the folder and before it is copied: the copy is held to the run's record, so nothing leaves."""
    run = world.runs["T-1"]
    with opened(world.out) as store:
        workflow.decide(store, "alice", run, "approve")
        workflow.decide(store, "bob", run, "approve")
        source = workflow.folder_of(store, store.reading().runs[run]).release
    real_check = workflow.check_release

    def check_then_swap(folder: Path):
        report = real_check(folder)
        target = next(p for p in sorted(folder.glob("*.csv")) if p.name != "exclusion_flow.csv")
        target.write_text(target.read_text(encoding="utf-8") + "x,999\n", encoding="utf-8")
        return report

    monkeypatch.setattr(workflow, "check_release", check_then_swap)
    with pytest.raises(ExtractorError, match="changed while it was copied"), opened(world.out) as store:
        workflow.release(store, "alice", run, world.released)
    assert not any(p.is_file() for p in world.released.rglob("*.csv"))
    assert source.is_dir()
    with pytest.raises(ExtractorError, match="t.csv not as run .* recorded them"):
        verify_store(world.out)  # nothing was recorded for the refused release, and the swapped file is named


def test_a_released_file_edited_afterwards_is_named_by_verify(world) -> None:
    """From the fourth airlock attack: a [REDACTED] made a 3 in the released copy passed audit verify."""
    run = world.runs["T-1"]
    with opened(world.out) as store:
        workflow.decide(store, "alice", run, "approve")
        workflow.decide(store, "bob", run, "approve")
        final = workflow.release(store, "alice", run, world.released)
    verify_store(world.out)
    target = final / "t.csv"
    target.write_text(target.read_text(encoding="utf-8").replace("[REDACTED]", "3", 1) + "\n", encoding="utf-8")
    with pytest.raises(ExtractorError, match="t.csv not as run"):
        verify_store(world.out)
