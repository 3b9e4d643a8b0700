"""The one place that knows where things live in an output root. Nothing else spells these names.

OUT/
  .extractor/state.sqlite          the state store (SQLite, WAL): the signed audit log and account credentials
  .extractor/store.toml            which store the root uses (sqlite or postgresql), written once
  .extractor/audit_signing.key     the audit log's Ed25519 key, unless EXTRACTOR_AUDIT_KEY_FILE keeps it elsewhere
  .extractor/audit_head.json       the log's newest head: a witness of its length
  .extractor/witness_folders.txt   folders outside OUT holding witnesses (release receipts, yearly notices)
  .extractor/work/run-*/           a live run's private scratch (sandbox database, spill files)
  <request id>/<run id>/
      release/                     what the researcher may receive: controlled files + manifest.json
      review/                      the DPO's report and lists, with exact counts: not for release
      notices/                     notices for the people in the data (fi, sv, en)
      controller/                  the controller's own: exact values (tables/, aggregates/), transparency records,
                                   re-id map, overdue lists, inputs/ (copies of the policy and catalog the run used)
      audit_anchor.json            the run's audit record (seq, hash), checked by `audit verify`
      release_receipt.json         the release's audit record, once released
  <request id>/latest              symlink to the newest run
  <request id>/.staging-<run id>/  a run being made (removed if it fails; renamed into place once recorded)
<release folder>/<request id>/<run id>/   a released run; beside it <run id>.audit_receipt.json
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STATE_DIR = ".extractor"
STORE = f"{STATE_DIR}/state.sqlite"
STORE_KIND = f"{STATE_DIR}/store.toml"
AUDIT_KEY = f"{STATE_DIR}/audit_signing.key"
HEAD = f"{STATE_DIR}/audit_head.json"
HEAD_LOCK = f"{STATE_DIR}/.audit_head.lock"
WITNESS_FOLDERS = f"{STATE_DIR}/witness_folders.txt"
RECEIPT_SUFFIX = ".audit_receipt.json"
RELEASE_RECEIPT = "release_receipt.json"  # a copy of the release's receipt in the run's own folder
RUN_LOCK = ".run.lock"
PERSONS = "persons.parquet.fernet"  # who the run saw, by person key, encrypted under the project key
PERSONS_COUNT = "persons.json"  # how many persons' rows reached the query: the checker's figure
MANIFEST = "manifest.json"
LATEST = "latest"
STAGING_PREFIX = ".staging-"
ANCHOR = "audit_anchor.json"


@dataclass(frozen=True)
class RunFolder:
    """One run's folder (final or staging): the names of its parts."""

    root: Path

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def review(self) -> Path:
        return self.root / "review"

    @property
    def notices(self) -> Path:
        return self.root / "notices"

    @property
    def controller(self) -> Path:
        return self.root / "controller"

    @property
    def exact_tables(self) -> Path:
        """The tables' exact values: for the output checker and later differencing, never released."""
        return self.controller / "tables"

    @property
    def exact_aggregates(self) -> Path:
        """The aggregates' exact counts and which were hidden: for later differencing, never released."""
        return self.controller / "aggregates"

    @property
    def inputs(self) -> Path:
        """Copies of the policy and catalog the run used (policy.toml, catalog.toml): the output checker
        re-reads the rules from them, and the manifest names them by file name and hash, not by a path."""
        return self.controller / "inputs"

    @property
    def persons(self) -> Path:
        """Who was included or left out (encrypted): the transparency answers."""
        return self.controller / PERSONS

    @property
    def persons_count(self) -> Path:
        """How many persons' rows reached the query: the checker's figure for person-level rows."""
        return self.controller / PERSONS_COUNT

    @property
    def manifest(self) -> Path:
        return self.release / MANIFEST

    @property
    def anchor(self) -> Path:
        return self.root / ANCHOR


def run_folder_of(path: Path) -> RunFolder:
    """A run folder from the folder itself or its release/ folder."""
    return RunFolder(path.parent if path.name == "release" and (path / MANIFEST).is_file() else path)


def store(out_root: Path) -> Path:
    return out_root / STORE


def work_root(out_root: Path, temp_dir: Path | None = None) -> Path:
    return temp_dir / "extractor-work" if temp_dir is not None else out_root / STATE_DIR / "work"


def store_root(folder: Path) -> Path | None:
    """The output root holding the store, for any folder inside it (a run, its release/ folder)."""
    for parent in folder.resolve().parents:
        if (parent / STORE_KIND).is_file():
            return parent
    return None


def run_dir(out_root: Path, relative: str) -> Path:
    """A run's folder from the path the log records (relative to the output root, wherever it is now)."""
    return out_root / relative


def receipt(destination: Path, request_id: str, run_id: str) -> Path:
    return destination / request_id / f"{run_id}{RECEIPT_SUFFIX}"
