"""The airlock's state, derived from the verified audit log: runs, reviews, statuses, accounts, spend.

Why derived: a table of statuses can be edited by anyone who can write the store; a status folded from
signed records cannot be changed without breaking the chain. `load` verifies the whole chain (every
hash, the head's signature, every signature with `signatures=True`); `refresh` verifies and folds only
the records appended since, after checking that the last record it knew is still there unchanged, so a
long-running server does not re-verify the whole chain on every page.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from extractor.errors import ExtractorError
from extractor.release import audit_log
from extractor.release.audit_log import Record
from extractor.release.state_db import StateDB

REVIEWERS = 2
ALL_PROJECTS = "*"


def normalise(name: str) -> str:
    """One account name however it is typed or sent by a proxy: NFKC, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def status_after(decisions: dict[str, str]) -> str:
    """Both approve → approved; any reject → rejected; otherwise returned; fewer decisions → submitted."""
    if len(decisions) < REVIEWERS:
        return "submitted"
    values = decisions.values()
    return "rejected" if "reject" in values else "approved" if all(d == "approve" for d in values) else "returned"


@dataclass
class Review:
    reviewer: str
    decision: str
    comment: str
    at: str


@dataclass
class Run:
    run_id: str
    request_id: str
    project: str
    requester: str
    contact: str
    submitted_by: str | None  # the account that handed the request in, when there is one
    run_dir: str  # relative to the output root
    created_at: str
    details: dict[str, Any]
    reviews: list[Review] = field(default_factory=list)
    released_to: str | None = None
    released_at: str | None = None
    release_record: Record | None = None
    submitter: Account | None = None  # the account that handed it in, as it is now (its e-mail may change)

    @property
    def recorded_files(self) -> dict[str, str]:
        """name -> sha256 of each file of release/ as the signed run record has it (outputs and manifest)."""
        files = dict(self.details.get("outputs", {}))
        if "manifest_sha256" in self.details:
            files["manifest.json"] = self.details["manifest_sha256"]
        return files

    @property
    def status(self) -> str:
        if self.released_to is not None:
            return "released"
        return status_after({r.reviewer: r.decision for r in self.reviews})


@dataclass
class Submission:
    """A request handed in through the airlock: its files, who handed it in, and what became of it."""

    id: str
    project: str
    request_id: str
    account: str
    files: dict[str, str]  # name -> text (request.toml and its queries), as handed in
    created_at: str
    status: str = "waiting"  # waiting -> running -> submitted (a run) | failed
    run_id: str | None = None
    error: str = ""
    error_said: dict[str, str] = field(default_factory=dict)  # the error in each language, where the runner gave it
    replaces: str | None = None  # the submission this one resubmits
    claimed_by: tuple[str, int] | None = None  # (host, pid) of the runner that took it
    stopped_on_data: bool = False  # failed after reading the real data (its requester learnt that it stopped)
    finished_at: str = ""


@dataclass
class Account:
    name: str
    admin: bool
    email: str
    password_sha256: str
    disabled: bool = False
    projects: dict[str, str] = field(default_factory=dict)  # project (or "*") -> requester | checker
    language: str = ""  # fi, sv or en: the airlock's pages in this language unless the reader picks another
    changed_at: int = 0  # the log record that last disabled, enabled or re-passworded it

    @property
    def session_stamp(self) -> str:
        """What a browser session was started under: a new password, a disable or an enable ends it."""
        return f"{self.password_sha256}:{self.changed_at}"


class AirlockState:
    """Everything the airlock decides on, folded record by record from a verified log."""

    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self.submissions: dict[str, Submission] = {}
        self.accounts: dict[str, Account] = {}
        self.spend: dict[str, float] = {}
        self.witness_folders: list[str] = []
        self.public_key: str | None = None
        self.last: Record | None = None

    @property
    def count(self) -> int:
        return self.last.seq if self.last else 0

    @classmethod
    def load(cls, db: StateDB, signatures: bool = False) -> AirlockState:
        state = cls()
        records = audit_log.read(db)
        if records:
            state.public_key = audit_log.public_key(records)
            audit_log.check_chain(records, state.public_key, signatures=signatures)
            state._fold(records)
        return state

    def refresh(self, db: StateDB) -> AirlockState:
        """Fold the records appended since the last one seen, verified; raise if the log changed under us."""
        if self.last is None:
            fresh = AirlockState.load(db)
            self.__dict__.update(fresh.__dict__)
            return self
        row = db.one("SELECT hash FROM audit_log WHERE seq = ?", [self.last.seq])
        if row is None or row[0] != self.last.hash:
            raise ExtractorError(f"audit log: record {self.last.seq} changed or vanished while in use: rewritten")
        new = audit_log.read(db, after=self.last.seq)
        if new:
            audit_log.check_chain(new, self.public_key or "", prev=self.last, signatures=True)
            self._fold(new)
        return self

    def _fold(self, records: list[Record]) -> None:
        for record in records:
            self._apply(record, record.data)
            self.last = record

    def _apply(self, r: Record, d: dict[str, Any]) -> None:
        match r.action:
            case "run":
                self.runs[r.run_id] = Run(r.run_id, r.request_id, d["project"], d["requester"], d["contact"],
                                          d.get("submitted_by"), d["run_dir"], r.recorded_at, d,
                                          submitter=self.accounts.get(normalise(d.get("submitted_by") or "")))
                for eps in d.get("privacy_spend", {}).values():
                    self.spend[d["project"]] = self.spend.get(d["project"], 0.0) + float(eps)
            case "review":
                self.runs[r.run_id].reviews.append(Review(r.actor, d["decision"], d.get("comment", ""), r.recorded_at))
            case "release":
                run = self.runs[r.run_id]
                run.released_to, run.released_at, run.release_record = d["to"], r.recorded_at, r
                self.witness_folders.append(d["folder"])
            case "account-added":
                self.accounts[d["account"]] = Account(d["account"], bool(d.get("admin")), d.get("email", ""),
                                                      d["password_sha256"])
            case "account-changed":
                account = self.accounts[d["account"]]
                for key in ("admin", "email", "password_sha256", "disabled", "language"):
                    if key in d:
                        setattr(account, key, d[key])
                if "disabled" in d or "password_sha256" in d:
                    account.changed_at = r.seq
            case "project-role":
                roles = self.accounts[d["account"]].projects
                if d["role"] == "none":
                    roles.pop(d["project"], None)
                else:
                    roles[d["project"]] = d["role"]
            case "notice":
                self.witness_folders.append(d["folder"])
            case "submission":
                self.submissions[d["id"]] = Submission(d["id"], d["project"], r.request_id or "", r.actor or "",
                                                       d["files"], r.recorded_at, replaces=d.get("replaces"))
            case "submission-claimed":
                sub = self.submissions[d["id"]]
                sub.status = "running"
                sub.claimed_by = (d["host"], int(d["pid"])) if "host" in d else None
            case "submission-ran":
                sub = self.submissions[d["id"]]
                sub.status, sub.run_id = "submitted", r.run_id
            case "submission-failed":
                sub = self.submissions[d["id"]]
                sub.status, sub.error, sub.error_said = "failed", d["error"], d.get("error_said") or {}
                sub.stopped_on_data, sub.finished_at = bool(d.get("on_data")), r.recorded_at

    def run(self, run_id: str) -> Run:
        found = self.runs.get(run_id)
        if found is None:
            raise ExtractorError(f"run {run_id}: not in this output root's audit log (was it run here?)")
        return found

    def account(self, name: str) -> Account | None:
        found = self.accounts.get(normalise(name))
        return None if found is None or found.disabled else found

    def projects_of_request(self, request_id: str) -> set[str]:
        """The projects whose runs or hand-ins carry this request id (OUT/<request id> holds their runs)."""
        return {r.project for r in self.runs.values() if r.request_id == request_id} | \
            {s.project for s in self.submissions.values() if s.request_id == request_id}

    def refuse_foreign_request(self, request_id: str, project: str, out_root: object) -> None:
        """A request id names one project's request: OUT/<request id> holds its runs, `latest` the newest."""
        if self.projects_of_request(request_id) - {project}:
            raise ExtractorError(f"request.id {request_id!r}: the id of another project's request in {out_root}; "
                                 "give this request an id of its own", before_data=True)

    def released_runs_of(self, project: str) -> list[Run]:
        """A project's released runs, oldest first."""
        return [r for r in self.runs.values() if r.project == project and r.status == "released"]
