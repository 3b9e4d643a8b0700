"""The airlock's pages: each asks access.authorise (through workflow.allowed) before it reads anything.

Handlers are plain functions run in a worker thread (app.py), so reading the store, checking files and
hashing never hold up other users' pages. Names in a URL are checked against a strict pattern first: an
odd run id or file name (a NUL, 5,000 characters, a slash) is answered 404, never 500.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from extractor import i18n
from extractor.errors import ExtractorError
from extractor.files import read_regular, without_links
from extractor.i18n import N_, Message
from extractor.release import access, submissions, workflow
from extractor.release.airlock_state import Account, AirlockState, Run
from extractor.release.store import Store
from extractor.release.workflow import Refused
from extractor.reports import labels
from extractor.reports.render import render
from extractor.web.run_view import RunViews
from extractor.web.sessions import Session

RUN_ID = re.compile(r"^[0-9A-Za-z_-]{1,80}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$")
AUDIT_PAGE = 200


@dataclass
class Ctx:
    """One request as a page sees it: who asks, the verified state, the store and the page caches."""

    request: Request
    account: Account
    session: Session
    state: AirlockState
    form: Any
    store: Store
    views: RunViews
    release_to: Path
    lang: str = "en"

    @property
    def out_root(self) -> Path:
        return self.store.out_root


def page(template: str, status: int = 200, lang: str = i18n.DEFAULT, **context: Any) -> HTMLResponse:
    """A page in the reader's language, with the labels every page may show."""
    labels_ = {"statuses": labels.STATUSES, "decisions": labels.DECISIONS, "actions": labels.AUDIT_ACTIONS,
               "languages": list(i18n.LANGUAGE_NAMES.items())}
    if "title" in context:
        context["title"] = i18n.gettext_for(lang)(context["title"])
    response = HTMLResponse(render(template, {**labels_, **context}, lang=lang), status_code=status)
    response.headers["Content-Language"] = lang
    return response


def refuse(status: int, message: str, session: Session | None = None, lang: str = i18n.DEFAULT) -> HTMLResponse:
    return page("web_message.html.j2", status, lang, title=N_("Refused"), message=message, session=session)


def _run_of(ctx: Ctx, action: str) -> Run:
    run_id = ctx.request.path_params["run_id"]
    run = ctx.state.runs.get(run_id) if RUN_ID.match(run_id) else None
    workflow.allowed(ctx.account, action, run)
    return run


def _age(created_at: str) -> str:
    age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(created_at)
    return f"{age.days} d" if age.days else f"{age.seconds // 3600} h {age.seconds % 3600 // 60} min"


def summary(run: Run) -> dict[str, Any]:
    d = run.details
    return {"run_id": run.run_id, "request_id": run.request_id, "project": run.project, "requester": run.requester,
            "contact": run.contact, "status": run.status, "created_at": run.created_at, "age": _age(run.created_at),
            "title": d.get("title", run.request_id), "purpose": d.get("purpose", ""),
            "purpose_label": labels.purpose(d.get("purpose", "")),
            "outputs": sorted(d.get("outputs", {})), "differences": d.get("differencing_findings", [])}


def queue(ctx: Ctx) -> Response:
    runs = sorted(access.visible_runs(ctx.account, list(ctx.state.runs.values())),
                  key=lambda r: (r.created_at, r.run_id), reverse=True)
    return page("web_queue.html.j2", lang=ctx.lang, title=N_("Airlock queue"), runs=[summary(r) for r in runs],
                session=ctx.session)


def run_page(ctx: Ctx) -> Response:
    run = _run_of(ctx, "see_run")
    checker = bool(access.authorise(ctx.account, "read_report", run))
    folder = workflow.folder_of(ctx.store, run)
    see_files = bool(access.authorise(ctx.account, "read_file", run))
    earlier_runs = [r for r in ctx.state.released_runs_of(run.project) if r.run_id != run.run_id] if checker else []
    earlier = workflow.folder_of(ctx.store, earlier_runs[-1]) if earlier_runs else None
    try:
        number = min(max(1, int(ctx.request.query_params.get("page", "1"))), 10**6)
    except ValueError:
        number = 1
    controller = run.details.get("folder_files", {}) if checker else None
    wanted = ctx.request.query_params.get("filter", "")[:200]
    files = ctx.views.files(folder, number, earlier, run.recorded_files, controller, wanted) if see_files else []
    return page("web_run.html.j2", lang=ctx.lang, title=run.details.get("title", run.run_id), run=summary(run),
                files=files, filter=wanted,
                check=ctx.views.check(folder) if checker else None, checker=checker, see_files=see_files,
                reviews=workflow.visible_reviews(run, ctx.account.name), earlier=[r.run_id for r in earlier_runs],
                session=ctx.session, own=access.is_own(ctx.account, run),
                may_decide=bool(access.authorise(ctx.account, "decide", run)),
                may_release=bool(access.authorise(ctx.account, "release", run)))


def review_report(ctx: Ctx) -> Response:
    """The review report in the reader's language (a run made before reports came in three: its one report)."""
    run = _run_of(ctx, "read_report")
    if "name" not in ctx.request.path_params:  # the report's links are relative to its folder
        return RedirectResponse(f"/runs/{run.run_id}/review/review_{ctx.lang}.html", status_code=303)
    recorded = run.details.get("folder_files", {})
    name = ctx.request.path_params["name"]
    if f"review/{name}" not in recorded:  # a run made before the report came in three languages
        name = "codebook.html" if name.startswith("codebook") else "review.html"
    if not FILE_NAME.match(name) or not name.startswith(("review", "codebook")):
        return refuse(404, N_("No such file."), ctx.session, ctx.lang)
    folder = workflow.folder_of(ctx.store, run)
    return _serve(folder.review / name, ctx, "text/html; charset=utf-8", recorded.get(f"review/{name}"))


def controller_file(ctx: Ctx) -> Response:
    """A link from the review report into the controller's folder: those lists name people, so they are not
    served; the page says where they are."""
    run = _run_of(ctx, "read_report")
    return refuse(403, Message("This list names people, so the airlock does not show it. It is in the run's "
                               "folder on the controller's machine: %(where)s", where=f"{run.request_id}/{run.run_id}"
                               f"/controller/{ctx.request.path_params['name'][:200]}"), ctx.session, ctx.lang)


def codebook(ctx: Ctx) -> Response:
    """The run's codebook, linked from its review report (a relative link: the same page in a folder)."""
    run = _run_of(ctx, "read_report")
    folder = workflow.folder_of(ctx.store, run)
    return _serve(folder.review / "codebook.html", ctx, "text/html; charset=utf-8",
                  run.details.get("folder_files", {}).get("review/codebook.html"))


def released_file(ctx: Ctx) -> Response:
    run = _run_of(ctx, "read_file")
    name = ctx.request.path_params["name"]
    if not FILE_NAME.match(name) or name not in run.recorded_files:  # only what the signed run record names
        return refuse(404, N_("No such file in this run's release."), ctx.session, ctx.lang)
    kind = "text/csv; charset=utf-8" if name.endswith(".csv") else "application/octet-stream"
    return _serve(workflow.folder_of(ctx.store, run).release / name, ctx, kind, run.recorded_files[name],
                  attachment=name)


def _serve(path: Path, ctx: Ctx, media_type: str, sha256: str | None, attachment: str | None = None) -> Response:
    """A file of a run, only as the run recorded it: a regular file (no link anywhere on the way), with the
    bytes whose hash the signed record holds."""
    try:
        data = read_regular(without_links(ctx.out_root, path))
    except OSError:
        return refuse(404, N_("No such file."), ctx.session, ctx.lang)
    if sha256 is None or hashlib.sha256(data).hexdigest() != sha256:
        return refuse(409, N_("This file is not the one the run recorded (it was changed or added afterwards); it "
                              "is not served. Tell the DPO."), ctx.session, ctx.lang)
    headers = {"Content-Disposition": f'attachment; filename="{attachment}"'} if attachment else {}
    return Response(data, media_type=media_type, headers=headers)


def decide(ctx: Ctx) -> Response:
    run_id = ctx.request.path_params["run_id"]
    if not RUN_ID.match(run_id):
        return refuse(404, N_("No such run."), ctx.session, ctx.lang)
    workflow.decide(ctx.store, ctx.account.name, run_id, str(ctx.form.get("decision", "")),
                    str(ctx.form.get("comment", "")))
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


def release(ctx: Ctx) -> Response:
    run_id = ctx.request.path_params["run_id"]
    if not RUN_ID.match(run_id):
        return refuse(404, N_("No such run."), ctx.session, ctx.lang)
    final = workflow.release(ctx.store, ctx.account.name, run_id, ctx.release_to)
    return page("web_message.html.j2", lang=ctx.lang, title=N_("Released"),
                message=Message("Released to %(folder)s.", folder=str(final)), session=ctx.session)


def audit(ctx: Ctx) -> Response:
    verdict = access.authorise(ctx.account, "read_audit")
    if not verdict:
        raise Refused(verdict.status, verdict.reason)
    from extractor.release import audit_log

    scope = access.audit_scope(ctx.account)
    visible = {r.run_id for r in ctx.state.runs.values() if scope is None or r.project in scope}
    try:
        before = int(ctx.request.query_params.get("before", "0")[:12]) or ctx.state.count + 1
    except ValueError:
        before = ctx.state.count + 1
    before = min(max(1, before), ctx.state.count + 1)
    start = max(0, before - 1 - AUDIT_PAGE)
    rows = [r for r in audit_log.read(ctx.store.db(), after=start)
            if r.seq < before and (scope is None or r.run_id in visible)]
    return page("web_audit.html.j2", lang=ctx.lang, title=N_("Audit log"), records=rows, count=ctx.state.count,
                ok=True, session=ctx.session, older=start + 1 if start > 0 else None)


def refused(exc: ExtractorError, session: Session | None, lang: str = i18n.DEFAULT) -> HTMLResponse:
    reason = exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc)
    return refuse(getattr(exc, "status", 409), reason, session, lang)


QUERY_SLOTS = 3  # query files a form hands in with a request


def _requester_projects(account: Account) -> list[str]:
    """The projects the account may hand requests in for (asked of access.py, as every page does)."""
    return sorted(p for p in account.projects if access.authorise_submit(account, p))


def _slots(files: dict[str, str]) -> list[tuple[str, str]]:
    """The form's query slots: the files handed in (not the request), padded to QUERY_SLOTS."""
    slots = [(n, t) for n, t in files.items() if n != submissions.REQUEST_FILE][:QUERY_SLOTS]
    return slots + [("", "")] * (QUERY_SLOTS - len(slots))


def submit_form(ctx: Ctx) -> Response:
    """The hand-in form; `?from=S…` fills it with one of the account's own earlier submissions."""
    projects = _requester_projects(ctx.account)
    if not projects:
        return refuse(403, N_("Only requesters hand in requests; ask the DPO to make you a requester of a "
                              "project."), ctx.session, ctx.lang)
    earlier = ctx.state.submissions.get(ctx.request.query_params.get("from", ""))
    if earlier is not None and earlier.account != ctx.account.name:
        earlier = None
    files = earlier.files if earlier else {}
    return page("web_submit.html.j2", lang=ctx.lang, title=N_("Hand in a request"), session=ctx.session,
                projects=projects,
                project=earlier.project if earlier else projects[0],
                request_text=files.get(submissions.REQUEST_FILE, ""), slots=_slots(files),
                replaces=earlier.id if earlier else "", error=None)


def submit(ctx: Ctx) -> Response:
    form = ctx.form
    project = str(form.get("project", ""))
    files = {submissions.REQUEST_FILE: str(form.get("request", ""))}
    for i in range(1, QUERY_SLOTS + 1):
        name, text = str(form.get(f"q{i}_name", "")).strip(), str(form.get(f"q{i}_sql", ""))
        if name or text.strip():
            files[name or f"(query {i} has no name)"] = text
    replaces = str(form.get("replaces", "")) or None
    try:
        submissions.hand_in(ctx.store, ctx.account.name, project, files, replaces)
    except Refused as exc:
        if exc.status != 400:
            raise
        return page("web_submit.html.j2", 400, ctx.lang, title=N_("Hand in a request"), session=ctx.session,
                    projects=_requester_projects(ctx.account), project=project,
                    request_text=files[submissions.REQUEST_FILE], slots=_slots(files), replaces=replaces or "",
                    error=exc.args[0] if exc.args else str(exc))
    return RedirectResponse("/submissions", status_code=303)


def my_submissions(ctx: Ctx) -> Response:
    subs = [submissions.summary(s, ctx.state.runs) for s in submissions.visible(ctx.account.name,
                                                                                ctx.state.submissions)]
    for s in subs:
        run = ctx.state.runs.get(s["run_id"]) if s["run_id"] else None
        s["reviews"] = workflow.visible_reviews(run, ctx.account.name) if run else []
        s["files_out"] = sorted(run.details.get("outputs", {})) if run and run.status == "released" else []
    return page("web_submissions.html.j2", lang=ctx.lang, title=N_("Your requests"), session=ctx.session, subs=subs)
