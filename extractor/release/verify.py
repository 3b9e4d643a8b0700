"""`extractor audit verify`: the whole log, its key, the credentials and every witness, checked at once.

What it proves (docs/airlock-threat-model.md says what it cannot): every record follows the one before
and is signed by the log's key; that key is the one the signing-key file holds (when this process can
read it) or the one given with --public-key; every account's password hash is the one its record
commits to; every witness found (witness.py) names a record still in the log, unchanged; every run
folder under the output root is a run the log knows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import ExtractorError
from extractor.i18n import N_
from extractor.release import audit_log, layout, witness
from extractor.release.airlock_state import AirlockState
from extractor.release.signing import fingerprint, key_path, load_signer
from extractor.release.state_db import StateDB, locate, opened


@dataclass(frozen=True)
class Verified:
    records: int
    witnesses: int
    head: str | None
    key: str | None
    key_pinned_by: str
    warnings: tuple[str, ...] = ()
    witness_folders: tuple[str, ...] = ()


def _pinned_key(out_root: Path, public_key: str | None) -> tuple[str | None, str]:
    if public_key:
        return public_key, "--public-key"
    if key_path(out_root).exists():
        try:
            return load_signer(out_root, create=False).public, N_("the signing key file")
        except (ExtractorError, OSError):
            pass
    return None, N_("the log's first record only (no signing key readable here; give --public-key)")


def _credentials(db: StateDB, state: AirlockState) -> None:
    stored = dict(db.rows("SELECT account, password_hash FROM credentials ORDER BY account"))
    for account in sorted(set(stored) | set(state.accounts)):
        known = state.accounts.get(account)
        if known is None or account not in stored \
                or hashlib.sha256(stored[account].encode()).hexdigest() != known.password_sha256:
            raise ExtractorError(f"credentials of account {account!r} are not the ones the audit log records: "
                                 "edited, added or removed")


def _runs_on_disk(out_root: Path, state: AirlockState) -> None:
    """Every run folder under the root is one the log knows, and every recorded run's folder is a folder,
    not a link (a link there would have the airlock serve another folder's files)."""
    known = {r.run_dir for r in state.runs.values()}
    for folder in sorted(out_root.glob("*/*")):
        rel = folder.relative_to(out_root).as_posix()
        if folder.name.startswith(".") or folder.name == layout.LATEST:
            continue
        if folder.is_symlink() or any((folder / part).is_symlink() for part in ("release", "review", "controller")):
            raise ExtractorError(f"{folder}: a symbolic link where a run's folder should be: put there by hand")
        if folder.is_dir() and (folder / "release").is_dir() and rel not in known:
            raise ExtractorError(f"{folder}: a run folder the audit log does not know: its record was deleted "
                                 "(or it was put there by hand)")


def _releases_as_recorded(state: AirlockState) -> None:
    """Every release record names exactly the files its run recorded and the checkers reviewed: a release that
    let other bytes out is not hidden behind a chain that verifies."""
    for run in state.runs.values():
        record = run.release_record
        if record is not None and record.data.get("files") != run.recorded_files:
            raise ExtractorError(f"audit log: release record {record.seq} of run {run.run_id} names other files or "
                                 "bytes than the run recorded and its checkers reviewed")


def _files_as_recorded(out_root: Path, state: AirlockState) -> None:
    """Every run's release/ folder, and every released copy still where the release record put it, holds the bytes
    the run's signed record names: an edited released file (a [REDACTED] made a 3) is named, not only refused when
    served. A released copy moved elsewhere cannot be read, and is not looked for."""
    from extractor.release.workflow import changed_files  # the release's own test of a folder against its record

    for run in state.runs.values():
        recorded = run.recorded_files
        if not recorded:
            continue
        places = [layout.run_dir(out_root, run.run_dir) / "release"]
        if run.released_to:
            places.append(Path(run.released_to))
        for folder in places:
            if not folder.is_dir() or folder.is_symlink():
                continue
            changed = changed_files(folder, recorded)
            if changed:
                raise ExtractorError(f"{folder}: {', '.join(changed)} not as run {run.run_id} recorded them (changed, "
                                     "added or removed after the run): what was reviewed is not what is there")


def verify_store(out_root: Path, state_url: str | None = None, witnesses: list[Path] | None = None,
                 public_key: str | None = None) -> Verified:
    out_root = out_root.resolve()
    if not (out_root / layout.STORE_KIND).is_file():
        raise ExtractorError(f"{out_root}: no audit log here ({layout.STORE_KIND} is missing)")
    with opened(locate(out_root, state_url)) as db:
        records = audit_log.verify(db)
        if not records:
            return Verified(0, 0, None, None, "")
        public = audit_log.public_key(records)
        pinned, by = _pinned_key(out_root, public_key)
        if pinned is not None and pinned != public:
            raise ExtractorError(f"audit log: signed by key {fingerprint(public)}, but {by} is {fingerprint(pinned)}: "
                                 "the log was replaced")
        state = AirlockState()
        state.public_key = public
        state._fold(records)  # noqa: SLF001 - records verified just above
        _credentials(db, state)
        _releases_as_recorded(state)
        _files_as_recorded(out_root, state)
        foreign = db.foreign_objects()
        if foreign:
            raise ExtractorError(f"state store: {', '.join(foreign)} added by hand: it can block or change what is "
                                 "recorded; remove it and find out who added it")
    head_file = out_root / layout.HEAD
    if head_file.is_symlink() or not head_file.is_file() or witness.read(head_file) is None:
        raise ExtractorError(f"{head_file}: missing, unreadable or a link; it is rewritten after every record, so "
                             "it was removed or replaced by hand")
    checked = 0
    for path, data in witness.found(out_root, state.witness_folders, witnesses or []):
        why = witness.problem(data, records, public)
        if why:
            raise ExtractorError(f"audit log: witness {path} {why}")
        checked += 1
    _runs_on_disk(out_root, state)
    warnings = []
    if key_path(out_root).resolve().is_relative_to(out_root):
        warnings.append(f"the audit signing key is inside the output root ({layout.AUDIT_KEY}): whoever can edit the "
                        "store can read it and sign a rewritten log. Keep it where they cannot "
                        "(EXTRACTOR_AUDIT_KEY_FILE), and keep copies of release receipts and notices elsewhere")
    folders = tuple(sorted(set(state.witness_folders)))
    return Verified(len(records), checked, records[-1].hash, fingerprint(public), by, tuple(warnings), folders)
