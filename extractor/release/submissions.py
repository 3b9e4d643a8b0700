"""Requests handed in through the airlock: checked, recorded in the signed log, claimed by one runner.

A requester hands in a request (TOML) and its queries (SQL) as text; the record holds them whole, so
what was asked is as tamper-evident as what was released. The runner (runner.py, the only process that
holds the pseudonymisation key) claims a waiting submission inside a write transaction, so two runners
never take the same one, and records what became of it: a run queued for review, or the error.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import socket
import tomllib
from typing import Any

from extractor.config.request import ID
from extractor.config.toml_fields import toml_problem
from extractor.i18n import Message
from extractor.release import access
from extractor.release.airlock_state import Submission
from extractor.release.store import Store
from extractor.release.workflow import Refused

REQUEST_FILE = "request.toml"
SQL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.sql$")
MAX_TEXT = 20_000  # characters of one file handed in
MAX_WAITING = 3  # submissions one account may have waiting at once (one requester cannot fill the runner's queue)
# A run that stops on the real data (error() in the query, a failed cast, a refusal) tells its requester one bit
# about the data: an account gets MAX_DATA_STOPS of those a day, each recorded, before its hand-ins wait; the
# submissions still waiting or running count against it too (each may yet stop), or a batch handed in at
# once would pass the ration.
MAX_DATA_STOPS = 3
DATA_STOP_WINDOW = dt.timedelta(hours=24)


def check_files(project: str, files: dict[str, str]) -> str:
    """The request id, or Refused(400) saying what is wrong with what was handed in."""
    for name, text in files.items():
        if name != REQUEST_FILE and not SQL_NAME.match(name):
            raise Refused(400, Message("%(name)s: a query file is named like counts_by_year.sql (letters, digits, "
                                       "_ . -, no folder): give its file name alone here, and the same in the "
                                       "request's query = \"…\"", name=repr(name)))
        if len(text) > MAX_TEXT:
            raise Refused(400, f"{name}: at most {MAX_TEXT:,} characters")
    try:
        data = tomllib.loads(files.get(REQUEST_FILE, ""))
    except tomllib.TOMLDecodeError as exc:
        place, problem = toml_problem(exc, files.get(REQUEST_FILE, ""))
        raise Refused(400, f"{REQUEST_FILE}:{place}: not valid TOML ({problem})") from None
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise Refused(400, f"{REQUEST_FILE}: not valid TOML (arrays or tables nested a few levels deep at "
                           "most)") from None
    head = data.get("request") if isinstance(data.get("request"), dict) else {}
    rid = head.get("id")
    asked = head.get("project", rid)  # a request without a project is its own project, as load_request has it
    if not isinstance(rid, str) or not ID.match(rid):
        raise Refused(400, Message("%(file)s: request.id: expected a file-name-safe identifier",
                                   file=REQUEST_FILE))
    if asked != project:
        raise Refused(400, Message("%(file)s: request.project is %(asked)s; you are handing it in for %(project)s",
                                   file=REQUEST_FILE, asked=repr(asked), project=repr(project)))
    outputs = data.get("outputs")
    if not isinstance(outputs, list) or not outputs:
        raise Refused(400, Message("%(file)s: expected [[outputs]], each with a query", file=REQUEST_FILE))
    for i, out in enumerate(outputs):
        query = out.get("query") if isinstance(out, dict) else None
        if query not in files or query == REQUEST_FILE:
            handed = ", ".join(n for n in files if n != REQUEST_FILE)
            bare = query.replace("\\", "/").rsplit("/", 1)[-1] if isinstance(query, str) else None
            if bare in files and bare != REQUEST_FILE:
                raise Refused(400, Message(
                    "%(file)s: outputs[%(i)s].query is %(query)s: a request handed in names its query by the file "
                    "name alone, as handed in with it: write query = \"%(bare)s\"", file=REQUEST_FILE, i=str(i),
                    query=repr(query), bare=bare))
            raise Refused(400, Message("%(file)s: outputs[%(i)s].query is %(query)s: name one of the query files "
                                       "handed in with it (%(handed)s), by its file name alone", file=REQUEST_FILE,
                                       i=str(i), query=repr(query), handed=handed))
    return rid


def hand_in(store: Store, account_name: str, project: str, files: dict[str, str],
            replaces: str | None = None) -> str:
    """Record a submission by a requester of `project`; its id."""
    with store.writing() as w:
        account = w.state.account(account_name)
        verdict = access.authorise_submit(account, project)
        if not verdict:
            raise Refused(verdict.status, verdict.reason)
        request_id = check_files(project, files)
        if w.state.projects_of_request(request_id) - {project}:
            raise Refused(409, Message("%(file)s: request.id %(id)s is the id of another project's request; give "
                                       "yours an id of its own", file=REQUEST_FILE, id=repr(request_id)))
        stops = data_stops(account.name, w.state.submissions, dt.datetime.now(dt.UTC))
        if len(stops) >= MAX_DATA_STOPS:
            again = dt.datetime.fromisoformat(stops[-MAX_DATA_STOPS].finished_at) + DATA_STOP_WINDOW
            raise Refused(429, Message("%(n)s of your requests stopped on the real data in the last 24 hours; "
                                       "each such stop tells something about the data, so your next hand-in waits "
                                       "until %(time)s UTC. Meanwhile, try your request on dummy data "
                                       "(extractor try)", n=len(stops), time=again.strftime("%Y-%m-%d %H:%M")))
        mine = [s for s in w.state.submissions.values() if s.account == account.name]
        waiting = [s for s in mine if s.status == "waiting"]
        if len(waiting) >= MAX_WAITING:
            raise Refused(429, Message("%(n)s of your requests are still waiting for the runner; hand this one "
                                       "in when one of them has run", n=len(waiting)))
        in_flight = [s for s in mine if s.status in ("waiting", "running")]  # each may yet stop on the data
        if len(stops) + len(in_flight) >= MAX_DATA_STOPS:
            raise Refused(429, Message("%(n)s of your requests are waiting or running and %(stops)s stopped on the "
                                       "real data in the last 24 hours; each run may stop on the data, and an "
                                       "account has %(max)s such stops a day, so hand this one in when one of "
                                       "them has run", n=len(in_flight), stops=len(stops), max=MAX_DATA_STOPS))
        if replaces is not None:
            earlier = w.state.submissions.get(replaces)
            if earlier is None or earlier.account != account.name:
                raise Refused(404, Message("No such submission."))
        sub_id = "S" + secrets.token_hex(6)
        w.append("submission", {"id": sub_id, "project": project, "files": files, "replaces": replaces},
                 request_id=request_id, who=account.name)
    return sub_id


def claim_next(store: Store, runner: str) -> Submission | None:
    """The oldest waiting submission, marked running in the same transaction (one runner gets it)."""
    with store.writing() as w:
        waiting = [s for s in w.state.submissions.values() if s.status == "waiting"]
        if not waiting:
            return None
        sub = waiting[0]
        w.append("submission-claimed", {"id": sub.id, "host": socket.gethostname(), "pid": os.getpid()},
                 request_id=sub.request_id, who=runner)
        return w.state.submissions[sub.id]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def recover(store: Store, runner: str) -> list[str]:
    """Submissions a runner on this machine took and did not finish because it died (killed, power cut):
    failed, so that none stays "running" for ever; the requester hands it in again. Runners elsewhere are
    left to their own machines."""
    host = socket.gethostname()
    with store.writing() as w:
        dead = [s for s in w.state.submissions.values() if s.status == "running" and s.claimed_by
                and s.claimed_by[0] == host and s.claimed_by[1] != os.getpid() and not _alive(s.claimed_by[1])]
        for sub in dead:
            w.append("submission-failed", {"id": sub.id, "error": "the runner stopped while running this request; "
                                           "hand it in again"}, request_id=sub.request_id, who=runner)
    return [s.id for s in dead]


def finish(store: Store, sub: Submission, runner: str, run_id: str | None = None, error: str | dict[str, str] = "",
           on_data: bool = False) -> None:
    """Record what became of a submission; `error`: what its requester is told (by language, or one text);
    `on_data`: it stopped after reading the real data."""
    said = error if isinstance(error, dict) else {}
    with store.writing() as w:
        if run_id is not None:
            w.append("submission-ran", {"id": sub.id}, request_id=sub.request_id, run_id=run_id, who=runner)
        else:
            w.append("submission-failed", {"id": sub.id, "error": said.get("en", "") if said else error,
                                           "on_data": on_data, **({"error_said": said} if said else {})},
                     request_id=sub.request_id, who=runner)


def data_stops(account_name: str, subs: dict[str, Submission], now: dt.datetime) -> list[Submission]:
    """The account's submissions that stopped on the real data within the last DATA_STOP_WINDOW, oldest first."""
    since = now - DATA_STOP_WINDOW
    return sorted((s for s in subs.values() if s.account == account_name and s.stopped_on_data
                   and dt.datetime.fromisoformat(s.finished_at) > since), key=lambda s: s.finished_at)


def visible(account_name: str, subs: dict[str, Submission]) -> list[Submission]:
    """A requester's own submissions, newest first."""
    return sorted((s for s in subs.values() if s.account == account_name), key=lambda s: s.created_at,
                  reverse=True)


def summary(sub: Submission, runs: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    run = runs.get(sub.run_id) if sub.run_id else None
    return {"id": sub.id, "request_id": sub.request_id, "project": sub.project, "created_at": sub.created_at,
            "status": run.status if run is not None else sub.status, "run_id": sub.run_id,
            "error": sub.error_said.get(lang) or sub.error, "files": sorted(sub.files)}
