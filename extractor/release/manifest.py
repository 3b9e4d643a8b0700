"""The release manifest, typed: what was released, from which request, policy, catalog and queries, with hashes.

Written once per run into release/manifest.json (the field order below is the file's); read back with
`Manifest.read`. The output checker deliberately parses the JSON itself, sharing nothing with this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.files import sha256_file


@dataclass(frozen=True)
class FileRef:
    path: str
    sha256: str

    @classmethod
    def of(cls, path: Path) -> FileRef:
        """A file by its name and hash: never the path of the controller's machine (the manifest is released)."""
        return cls(path.name, sha256_file(path))


@dataclass(frozen=True)
class OutputEntry:
    """One released file; `details` are its kind's own fields (dimensions, counts, k, levels, groups…)."""

    name: str
    file: str
    kind: str
    rows: int
    sha256: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "kind": self.kind, "rows": self.rows, **self.details,
                "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutputEntry:
        own = {"name", "file", "kind", "rows", "sha256"}
        return cls(data["name"], data["file"], data["kind"], data["rows"], data["sha256"],
                   {k: v for k, v in data.items() if k not in own})


@dataclass(frozen=True)
class Manifest:
    request_id: str
    project: str
    run_id: str
    created_at: str
    purpose: str
    as_of: str
    permit: dict[str, str]  # id, granted_on
    request: FileRef
    policy: FileRef
    catalog: FileRef
    queries: dict[str, FileRef]
    outputs: list[OutputEntry]
    versions: dict[str, str]
    today: str = ""  # the date taken as today (--today, request.today or the clock), and where it came from
    today_from: str = ""
    audit_head: dict[str, Any] = field(default_factory=dict)  # the audit log's head when the run began (a witness)
    study: str = ""  # the study whose research consents counted (consent-based purposes)

    def to_json(self) -> dict[str, Any]:
        ref = lambda r: {"file": r.path, "sha256": r.sha256}  # noqa: E731 - the one shape of a file reference
        return {"request_id": self.request_id, "project": self.project, "run_id": self.run_id,
                "created_at": self.created_at, "purpose": self.purpose, "as_of": self.as_of,
                "permit": dict(self.permit), "request": ref(self.request), "policy": ref(self.policy),
                "catalog": ref(self.catalog), "queries": {k: ref(v) for k, v in self.queries.items()},
                "outputs": [o.to_json() for o in self.outputs], "versions": dict(self.versions),
                "today": self.today, "today_from": self.today_from, "audit_head": dict(self.audit_head),
                **({"study": self.study} if self.study else {})}

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        d = json.loads(path.read_text(encoding="utf-8"))
        ref = lambda r: FileRef(r.get("file", r.get("path", "")), r["sha256"])  # noqa: E731
        return cls(d["request_id"], d["project"], d["run_id"], d["created_at"], d["purpose"], d["as_of"],
                   d["permit"], ref(d["request"]), ref(d["policy"]), ref(d["catalog"]),
                   {k: ref(v) for k, v in d["queries"].items()}, [OutputEntry.from_json(o) for o in d["outputs"]],
                   d["versions"], d.get("today", ""), d.get("today_from", ""), d.get("audit_head", {}),
                   d.get("study", ""))
