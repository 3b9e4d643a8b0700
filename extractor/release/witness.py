"""Witnesses: copies of the audit log's head kept outside the store, found and checked by `audit verify`.

A signed chain cannot be rewritten without the key, but its newest records can be deleted and the
shorter chain still verifies. Each witness names a record (sequence number, hash, signature, the key's
fingerprint) at a moment the log had reached it:

- OUT/.extractor/audit_head.json     the newest head, rewritten after every append (never backwards)
- OUT/<request>/<run>/audit_anchor.json   the run's own record (written before it is published)
- OUT/<request>/<run>/release/manifest.json  "audit_head": the head when the run began
- <release folder>/<request>/<run>.audit_receipt.json   the release record, beside what the researcher gets
- the yearly notices: the head when they were written, in a <meta> tag and in their footer

The folders outside OUT that hold witnesses (release folders, notice folders) are listed in the log
itself and in OUT/.extractor/witness_folders.txt, so `audit verify` finds them without being told; a
witness elsewhere (a researcher's copy of a receipt) is checked with `audit verify --witness FILE`.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from extractor.errors import ExtractorError
from extractor.release import layout
from extractor.release.audit_log import Record, signed_text
from extractor.release.signing import fingerprint, verifies

META = "extractor-audit-head"
_META_RE = re.compile(rf'<meta name="{META}" content="([^"]+)"')


def of(record: Record, public: str) -> dict[str, Any]:
    return {"seq": record.seq, "hash": record.hash, "signature": record.signature, "key": fingerprint(public),
            "public_key": public, "at": record.recorded_at}


def head_of(state: Any) -> dict[str, Any]:
    """The witness of an airlock state's last record ({} for an empty log): a run's manifest carries it."""
    return of(state.last, state.public_key) if state.last and state.public_key else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write(path: Path, record: Record, public: str) -> None:
    _write_json(path, of(record, public))


def write_head(out_root: Path, record: Record, public: str) -> None:
    """OUT/.extractor/audit_head.json, moved forward only (several processes append)."""
    path = out_root / layout.HEAD
    with open(out_root / layout.HEAD_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = _load(path)
        if current is None or int(current.get("seq", 0)) < record.seq:
            write(path, record, public)


def register_folder(out_root: Path, folder: Path) -> None:
    """Remember a folder outside OUT that holds witnesses (appended, never rewritten)."""
    listed = out_root / layout.WITNESS_FOLDERS
    text = str(folder.resolve())
    known = listed.read_text(encoding="utf-8").splitlines() if listed.is_file() else []
    if text not in known:
        with listed.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")


def meta_tag(record: Record, public: str) -> str:
    """The head for an HTML page's <head>: seq:hash:signature:key."""
    return f'<meta name="{META}" content="{record.seq}:{record.hash}:{record.signature}:{fingerprint(public)}">'


def read(path: Path) -> dict[str, Any] | None:
    """A witness file's head (seq, hash, …), or None when it is not one."""
    return _load(path)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        if path.suffix == ".html":
            found = _META_RE.search(path.read_text(encoding="utf-8", errors="replace"))
            if not found:
                return None
            seq, digest, signature, key = found.group(1).split(":")
            return {"seq": int(seq), "hash": digest, "signature": signature, "key": key}
        data = json.loads(path.read_text(encoding="utf-8"))
        data = data.get("audit_head", data) if path.name == layout.MANIFEST else data
        return data if isinstance(data, dict) and "seq" in data and "hash" in data else None
    except (OSError, ValueError):
        return None


def found(out_root: Path, folders: list[str], extra: list[Path]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every witness this output root knows of, and the ones given."""
    paths = [out_root / layout.HEAD]
    for run in sorted(out_root.glob("*/*")):
        if run.is_dir() and not run.is_symlink() and not run.name.startswith("."):
            paths += [run / layout.ANCHOR, run / layout.RELEASE_RECEIPT, run / "release" / layout.MANIFEST]
    listed = out_root / layout.WITNESS_FOLDERS
    outside = set(folders) | set(listed.read_text(encoding="utf-8").splitlines() if listed.is_file() else [])
    for folder in sorted(Path(f) for f in outside if f):
        paths += sorted(folder.glob(f"*/*{layout.RECEIPT_SUFFIX}")) + sorted(folder.glob("*.html"))
    for given in extra:  # a witness the user names must be one: a missing or empty one is not "verified"
        inside = [p for p in sorted(given.rglob("*")) if _load(p) is not None] if given.is_dir() else []
        if not given.is_dir() and _load(given) is None:
            raise ExtractorError(f"--witness {given}: not a witness (a release receipt, a manifest, an audit "
                                 "anchor or a notice carrying the log's head); expected one")
        if given.is_dir() and not inside:
            raise ExtractorError(f"--witness {given}: a folder without any witness in it; expected at least one")
        paths += inside if given.is_dir() else [given]
    for path in paths:
        data = _load(path)
        if data is not None:
            yield path, data


def problem(data: dict[str, Any], records: list[Record], public: str) -> str | None:
    """Why a witness does not fit the log, or None."""
    seq = int(data["seq"])
    if data.get("key") not in (None, fingerprint(public)):
        return f"names signing key {data['key']}, the log's is {fingerprint(public)}: the log was re-keyed"
    if seq > len(records):
        return f"names record {seq}, the log ends at {len(records)}: records were deleted"
    if records[seq - 1].hash != data["hash"]:
        return f"names record {seq} with another hash: the log was rewritten"
    if "signature" in data and not verifies(public, signed_text(seq, data["hash"]), data["signature"]):
        return "carries a signature that does not verify"
    return None
