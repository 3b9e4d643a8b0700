"""The airlock: a checked run is recorded; two independent output checkers decide; an approved run is released.

One implementation for the CLI, the web and the runner. Every step takes the store's writer lock, reads
the state derived from the signed log inside it, asks access.authorise, and appends its record, so two
processes deciding at once see each other. Publishing a run is its audit record: the record (with the
run's anchor written into the staging folder) commits first, then the folder is renamed into place; a
run that fails before the commit leaves nothing published, and one killed after it is finished by the
next run (run_folder.tidy). A release is copied beside its destination first, recorded, then renamed
into place with its receipt (a witness, witness.py) beside it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from extractor.checker.release_check import check_release
from extractor.errors import ExtractorError
from extractor.faults import kill_point
from extractor.files import FOLDER_LOCK, abandoned, hold, regular_files, sha256_file, without_links
from extractor.i18n import Message
from extractor.release import layout, run_folder, witness
from extractor.release.access import Verdict, authorise
from extractor.release.airlock_state import REVIEWERS, Account, AirlockState, Review, Run
from extractor.release.audit_log import Record
from extractor.release.layout import RunFolder
from extractor.release.store import Store

DECISIONS = ("approve", "return", "reject")


class Refused(ExtractorError):
    """An action authorise() or the run's state does not allow; `status` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def allowed(account: Account | None, action: str, run: Run | None = None) -> None:
    verdict: Verdict = authorise(account, action, run)
    if not verdict:
        raise Refused(verdict.status, verdict.reason)


def record_run(store: Store, staging: run_folder.Staging, details: dict[str, Any],
               guard: Callable[[AirlockState], None] | None = None) -> Record:
    """The run's audit record and its publication, as one step: see the module's docstring."""
    submitted_by = details.get("submitted_by")
    with store.writing() as w:
        if submitted_by is not None:
            account = w.state.account(submitted_by)
            if account is None or account.projects.get(details["project"]) != "requester":
                raise ExtractorError(f"requester.account {submitted_by!r}: not a requester account of project "
                                     f"{details['project']!r} in this airlock")
        if guard is not None:
            guard(w.state)
        rel = staging.final.relative_to(store.out_root).as_posix()
        record = w.append("run", {**details, "run_dir": rel}, request_id=details["request_id"],
                          run_id=staging.run_id)
        witness.write(staging.anchor, record, w.signer.public)
        kill_point("record")
    kill_point("publish-recorded")
    run_folder.publish(staging)
    return record


def folder_of(store: Store, run: Run) -> RunFolder:
    """A recorded run's folder (no link on the way to it); one killed between its record and its rename is
    finished here."""
    final = layout.run_dir(store.out_root, run.run_dir)
    try:
        without_links(store.out_root, final)
    except OSError as exc:
        raise Refused(409, f"run {run.run_id}: {exc}; refused") from None
    if not final.exists():
        run_folder.tidy(final.parent, {run.run_id})
    return RunFolder(final)


def changed_files(folder: Path, recorded: dict[str, str]) -> list[str]:
    """Files of a run's release/ folder that are not exactly what its signed record names (added, missing,
    or with other bytes): what the checkers reviewed is what leaves, or nothing does."""
    found = {p.name: sha256_file(p) for p in regular_files(folder)}
    names = sorted(set(found) | set(recorded))
    return [n for n in names if found.get(n) != recorded.get(n)]


def decide(store: Store, who: str, run_id: str, decision: str, comment: str = "") -> str:
    """One output checker's decision; returns the run's status after it."""
    if decision not in DECISIONS:
        raise Refused(400, Message("decision: expected one of %(choices)s, got %(got)s", choices=", ".join(DECISIONS),
                                   got=repr(decision)))
    if decision in ("return", "reject") and not comment.strip():
        raise Refused(400, Message("Say why: a return or a rejection needs a comment for the requester."))
    with store.writing() as w:
        account, run = w.state.account(who), w.state.runs.get(run_id)
        allowed(account, "decide", run)
        if any(r.reviewer == account.name for r in run.reviews):
            raise Refused(409, Message("run %(run)s: %(account)s has already decided", run=run_id,
                                       account=account.name))
        w.append("review", {"decision": decision, "comment": comment.strip()}, request_id=run.request_id,
                 run_id=run_id, who=account.name)
        return w.state.runs[run_id].status


def visible_reviews(run: Run, viewer: str) -> list[Review]:
    """What `viewer` may see: their own decision only, until every reviewer has decided."""
    if len(run.reviews) >= REVIEWERS:
        return list(run.reviews)
    return [r for r in run.reviews if r.reviewer == viewer]


def _copy(source: Path, parent: Path, run_id: str) -> tuple[Path, int]:
    """The release's files copied (regular files only) into a locked hidden folder beside its destination."""
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(f".{run_id}-*"):
        if abandoned(stale):
            shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{run_id}-", dir=parent))
    fd = hold(staging)
    target = staging / "release"
    target.mkdir()
    for path in regular_files(source):
        shutil.copy2(path, target / path.name, follow_symlinks=False)
    return staging, fd


def release(store: Store, who: str, run_id: str, destination: Path) -> Path:
    """Copy an approved run's release folder (re-checked) to `destination`/<request>/<run>, recorded."""
    state = store.reading()
    run = state.runs.get(run_id)
    if run is not None and run.status == "released" and not Path(run.released_to).exists():
        return _finish(store, who, run)
    allowed(state.account(who), "release", run)
    source = folder_of(store, run).release
    changed = changed_files(source, run.recorded_files)
    if changed:
        raise Refused(409, f"run {run_id}: {', '.join(changed[:3])} differ from what the run recorded and the "
                           "checkers reviewed; nothing released")
    report = check_release(source)
    if not report.passed:
        raise Refused(409, f"run {run_id}: the output check now fails: {report.findings[0]}")
    destination = destination.resolve()
    final = destination / run.request_id / run_id
    if final.exists():
        raise Refused(409, f"{final}: exists already; not overwritten")
    staging, fd = _copy(source, final.parent, run_id)
    try:
        # The copy, which leaves as it is, is held to the run's record, not to the folder as read a moment ago:
        # files swapped in between the checks and the copy are not what the checkers reviewed.
        if changed_files(staging / "release", run.recorded_files):
            raise Refused(409, f"run {run_id}: the release changed while it was copied; nothing released")
        files = dict(run.recorded_files)
        with store.writing() as w:
            run = w.state.runs[run_id]
            allowed(w.state.account(who), "release", run)
            record = w.append("release", {"to": str(final), "folder": str(destination), "files": files},
                              request_id=run.request_id, run_id=run_id, who=w.state.account(who).name)
            kill_point("release-record")
        kill_point("release-recorded")
        (staging / "release" / FOLDER_LOCK).unlink(missing_ok=True)
        (staging / "release").rename(final)
        witness.write(layout.receipt(destination, run.request_id, run_id), record, store.signer.public)
        witness.write(folder_of(store, run).root / layout.RELEASE_RECEIPT, record, store.signer.public)
        witness.register_folder(store.out_root, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(fd)
    return final


def _finish(store: Store, who: str, run: Run) -> Path:
    """A release recorded but killed before its rename: copy again, check the bytes against the record."""
    allowed(store.reading().account(who), "read_report", run)  # an output checker of the project
    record = run.release_record
    final = Path(run.released_to)
    staging, fd = _copy(folder_of(store, run).release, final.parent, run.run_id)
    try:
        if {p.name: sha256_file(p) for p in regular_files(staging / "release")} != record.data["files"]:
            raise ExtractorError(f"run {run.run_id}: the run's files differ from its release record; not released")
        (staging / "release" / FOLDER_LOCK).unlink(missing_ok=True)
        (staging / "release").rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(fd)
    witness.write(layout.receipt(final.parent.parent, run.request_id, run.run_id), record, store.signer.public)
    return final
