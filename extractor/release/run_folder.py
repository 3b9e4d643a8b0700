"""Atomic release: everything is written to a staging folder, checked, then renamed into place.

Layout of one run: OUT/<request id>/<run id>/ with release/ (what the researcher may receive: the
controlled tables and manifest.json), review/ (the DPO's report, with exact counts) and notices/.
OUT/<request id>/latest is a symlink swapped atomically to the newest run. A crash before the run's
audit record leaves only a hidden staging folder, removed by the next run of the request; a crash after
the record and before the rename is finished by the next run (`tidy`), never half-written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from extractor import __version__
from extractor.config.load import RunConfig
from extractor.errors import ExtractorError
from extractor.files import FOLDER_LOCK, abandoned, hold, sha256_file
from extractor.release.layout import LATEST, STAGING_PREFIX, RunFolder
from extractor.release.manifest import FileRef, Manifest, OutputEntry


@dataclass(frozen=True)
class Staging(RunFolder):
    """A run being made: root is OUT/<request id>/.staging-<run id>, renamed to `final` once recorded.

    The process making it holds the folder's lock (files.hold) until then, so a concurrent run of the same
    request never takes it for a killed run's leftover."""

    final: Path  # OUT/<request id>/<run id>
    run_id: str
    lock_fd: int = -1
    made_parent: bool = False  # this run made OUT/<request id>: abandoned, it leaves no empty folder behind


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def tidy(parent: Path, recorded: set[str]) -> None:
    """Staging folders no live process owns: publish those the log records (a run killed between its
    record and its rename), remove the rest (a run killed before its record: never published)."""
    for stale in parent.glob(f"{STAGING_PREFIX}*"):
        if not abandoned(stale):
            continue
        run_id = stale.name.removeprefix(STAGING_PREFIX)
        if run_id in recorded and not (parent / run_id).exists():
            publish(Staging(stale, parent / run_id, run_id))
        else:
            shutil.rmtree(stale, ignore_errors=True)


def start(out_root: Path, request_id: str, recorded: set[str]) -> Staging:
    run_id = new_run_id()
    parent = out_root / request_id
    made = not parent.exists()
    parent.mkdir(parents=True, exist_ok=True)
    tidy(parent, recorded)
    root = parent / f"{STAGING_PREFIX}{run_id}"
    root.mkdir(parents=True)  # parents: a failed run of the same request may have just removed an empty one
    staging = Staging(root, parent / run_id, run_id, hold(root), made)
    for folder in (staging.release, staging.review, staging.notices):
        folder.mkdir(parents=True)
    return staging


def abandon(staging: Staging) -> None:
    shutil.rmtree(staging.root, ignore_errors=True)
    _let_go(staging)
    if staging.made_parent:  # only while empty: another run of the request may be staging there now
        with contextlib.suppress(OSError):
            staging.final.parent.rmdir()


def _let_go(staging: Staging) -> None:
    if staging.lock_fd >= 0:
        with contextlib.suppress(OSError):
            os.close(staging.lock_fd)


def publish(staging: Staging) -> Path:
    """Rename the recorded staging folder into place, then point `latest` at it."""
    os.replace(staging.root, staging.final)
    (staging.final / FOLDER_LOCK).unlink(missing_ok=True)
    _let_go(staging)
    link = staging.final.parent / LATEST
    tmp = staging.final.parent / f".latest-{staging.run_id}-{secrets.token_hex(3)}"
    os.symlink(staging.final.name, tmp)
    os.replace(tmp, link)
    return staging.final


def folder_files(staging: Staging) -> dict[str, str]:
    """sha256 of every file of the run outside release/ (whose files the manifest and outputs name): the run
    record holds them, so a review report or notice swapped later shows."""
    return {p.relative_to(staging.root).as_posix(): sha256_file(p)
            for part in (staging.review, staging.notices, staging.controller) if part.is_dir()
            for p in sorted(part.rglob("*")) if p.is_file() and not p.is_symlink()}


FORMULA_START = r"^[=+\-@\t\r]"  # a cell a spreadsheet would run as a formula (OWASP CSV injection)
NUMBER = r"^[+-]?\d+(\.\d+)?$"


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """CSV; a text cell that would start a formula gets a leading apostrophe, as OWASP advises (numbers stay).
    A list or a struct in a cell is refused in one line (a CSV cell holds one value)."""
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    if nested:
        raise ExtractorError(f"{path.stem}: column '{nested[0]}' holds lists or structs; expected one value per cell "
                             "(unnest it in the query, or join the values into text)")
    text = [c for c, t in frame.schema.items() if t == pl.String]
    frame.with_columns(pl.when(pl.col(c).str.contains(FORMULA_START) & ~pl.col(c).str.contains(NUMBER))
                       .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c) for c in text).write_csv(path)


def write_manifest(staging: Staging, cfg: RunConfig, outputs: list[OutputEntry],
                   audit_head: dict[str, Any] | None = None) -> Manifest:
    req = cfg.request
    staging.inputs.mkdir(parents=True, exist_ok=True)
    for part, source in (("policy", cfg.policy.path), ("catalog", cfg.catalog.path)):
        shutil.copyfile(source, staging.inputs / f"{part}.toml")
    manifest = Manifest(
        request_id=req.id, project=req.project, run_id=staging.run_id,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), purpose=req.purpose, study=req.study or "",
        as_of=str(req.as_of), permit={"id": req.permit_id, "granted_on": str(req.permit_granted_on)},
        request=FileRef.of(req.path), policy=FileRef.of(cfg.policy.path), catalog=FileRef.of(cfg.catalog.path),
        queries={o.name: FileRef.of(o.query) for o in req.outputs},
        outputs=[dataclasses.replace(o, sha256=sha256_file(staging.release / o.file)) for o in outputs],
        versions={"extractor": __version__, "duckdb": duckdb.__version__, "polars": pl.__version__},
        today=str(req.today), today_from=req.today_from, audit_head=audit_head or {})
    manifest.write(staging.manifest)
    return manifest
