"""Who may do what: the one authorisation function every web route and airlock command calls.

Capacities are per project: a requester of the project, an output checker of the project (or of every
project, "*"), or an admin (the DPO: every project). A requester role in a project outranks admin
there, so nobody checks their own project. What each may do, whatever the page or command:

| action            | requester (own project)     | checker / admin                      | anyone else |
|-------------------|-----------------------------|--------------------------------------|-------------|
| see_run           | yes                         | yes                                  | 404         |
| read_report       | 403                         | yes                                  | 404         |
| read_file         | released runs only (else 403) | yes                                | 404         |
| decide            | 403                         | submitted runs (409), not their own (403) | 404    |
| release           | 403                         | approved runs (409), not their own   | 404         |
| read_audit        | 403                         | checker: own projects; admin: all    | 403         |

Handing a request in (`authorise_submit`) is for requesters of the request's project only; each
account sees its own submissions and nobody else's.

On their own run a checker or admin has a requester's rights only (no report, no unreleased file, no release).
"Their own" is decided by account identity: the account that submitted the run or an account with its
e-mail, or (for a run the controller started) an account whose e-mail is the request's contact; never by a
display name. A missing or disabled account gets 401.
Unknown runs and runs of projects the account has no part in are answered alike (404), so a requester
cannot learn which runs exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.i18n import Message
from extractor.release.airlock_state import ALL_PROJECTS, Account, Run, normalise
from extractor.reports.labels import STATUSES

ACTIONS = ("see_run", "read_report", "read_file", "decide", "release", "read_audit")
STATES_FOR = {"decide": ("submitted",), "release": ("approved",)}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    status: int  # the HTTP status of a refusal (200 when allowed)
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


OK = Verdict(True, 200, "")


def capacity(account: Account, project: str) -> str | None:
    """requester, checker, admin or None: what `account` is in `project`."""
    role = account.projects.get(project)
    if role == "requester":
        return "requester"
    if account.admin:
        return "admin"
    if role == "checker" or account.projects.get(ALL_PROJECTS) == "checker":
        return "checker"
    return None


def is_own(account: Account, run: Run) -> bool:
    """Whether the account made the request: when it came through the airlock, the account that handed it in
    or any account with that account's e-mail (one person's second account; the e-mails are the controller's
    record, while the request's contact is the requester's own text: naming a checker's address there must
    not bar the checker); else, for a run the controller started, the account whose e-mail is the contact."""
    if run.submitted_by:
        if normalise(run.submitted_by) == account.name:
            return True
        mine, theirs = account.email, run.submitter.email if run.submitter is not None else ""
        return bool(mine and theirs) and normalise(mine) == normalise(theirs)
    return bool(account.email) and normalise(account.email) == normalise(run.contact)


def _either(statuses: tuple[str, ...]) -> dict[str, str]:
    """"approved / released" in each language (a Message value given per language)."""
    from extractor.i18n import LANGUAGES, gettext_for

    return {lang: " / ".join(gettext_for(lang)(STATUSES.get(s, s)) for s in statuses) for lang in LANGUAGES}


def authorise(account: Account | None, action: str, run: Run | None = None) -> Verdict:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if account is None or account.disabled:
        return Verdict(False, 401, Message("Sign in first."))
    if action == "read_audit":
        return OK if account.admin or "checker" in account.projects.values() else \
            Verdict(False, 403, Message("Only output checkers and the DPO read the audit log."))
    if run is None:
        return Verdict(False, 404, Message("No such run."))
    role = capacity(account, run.project)
    if role is None:
        return Verdict(False, 404, Message("No such run."))
    if role != "requester" and is_own(account, run):
        if action == "decide":
            return Verdict(False, 403, Message("%(account)s handed this request in and may not review it.",
                                               account=account.name))
        role = "requester"  # their own run: what its requester may see and do, and no more (no report, no release)
    if role == "requester":
        if action == "see_run" or (action == "read_file" and run.status == "released"):
            return OK
        return Verdict(False, 403, Message("Requesters see their runs' status and released files only; review "
                                           "reports, unreleased files and decisions are for the output checkers."))
    if action in STATES_FOR and run.status not in STATES_FOR[action]:
        return Verdict(False, 409, Message("Run %(run)s is %(status)s; this needs a run that is %(needed)s.",
                                           run=run.run_id, status=Message(STATUSES.get(run.status, run.status)),
                                           needed=_either(STATES_FOR[action])))
    return OK


def authorise_submit(account: Account | None, project: str) -> Verdict:
    """May `account` hand in a request for `project`? Requesters of the project only."""
    if account is None or account.disabled:
        return Verdict(False, 401, Message("Sign in first."))
    if capacity(account, project) != "requester":
        return Verdict(False, 403, Message("%(account)s is not a requester of project %(project)s; ask the DPO.",
                                           account=account.name, project=repr(project)))
    return OK


def visible_runs(account: Account | None, runs: list[Run]) -> list[Run]:
    """The runs an account may see listed (the queue): only where authorise(see_run) allows it."""
    return [r for r in runs if authorise(account, "see_run", r)]


def audit_scope(account: Account) -> set[str] | None:
    """The projects whose audit records `account` may read; None for all."""
    if account.admin or account.projects.get(ALL_PROJECTS) == "checker":
        return None
    return {p for p, role in account.projects.items() if role == "checker"}
