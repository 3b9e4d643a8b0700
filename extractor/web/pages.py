"""The airlock's pages: each asks access.authorise (through workflow.allowed) before it reads anything.

Handlers are plain functions run in a worker thread (app.py), so reading the store, checking files and
hashing never hold up other users' pages. Names in a URL are checked against a strict pattern first: an
odd run id or file name (a NUL, 5,000 characters, a slash) is answered 404, never 500.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from extractor import i18n
from extractor.errors import ExtractorError
from extractor.files import read_regular, without_links
from extractor.i18n import N_, Message
from extractor.release import access, workflow
from extractor.release.airlock_state import REVIEWERS, Account, AirlockState, Run
from extractor.release.store import Store
from extractor.release.workflow import Refused
from extractor.reports import labels
from extractor.reports.render import render
from extractor.web.run_view import RunViews
from extractor.web.sessions import Session

OLD_RUN_PAGE = re.compile(r"^(review|codebook)_(?:fi|sv|en)\.html$")
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
    controller_files: tuple[Path, Path | None] | None = None  # (catalog, policy): hand-ins checked at once

    @property
    def out_root(self) -> Path:
        return self.store.out_root


HERE: ContextVar[str] = ContextVar("here", default="/")  # the page being answered: its language links come back
AUDIT_LINK: ContextVar[bool] = ContextVar("audit_link", default=False)  # whether the reader may open the audit log


def page(template: str, status: int = 200, lang: str = i18n.DEFAULT, **context: Any) -> HTMLResponse:
    """A page in the reader's language, with the labels every page may show."""
    labels_ = {"statuses": labels.STATUSES, "decisions": labels.DECISIONS, "actions": labels.AUDIT_ACTIONS,
               "languages": list(i18n.LANGUAGE_NAMES.items()), "here": HERE.get(), "roles": labels.PROJECT_ROLES,
               "audit_link": AUDIT_LINK.get()}
    if "title" in context:
        context["title"] = i18n.gettext_for(lang)(context["title"])
    response = HTMLResponse(render(template, {**labels_, **context}, lang=lang), status_code=status)
    response.headers["Content-Language"] = lang
    return response


def refuse(status: int, message: str, session: Session | None = None, lang: str = i18n.DEFAULT,
           back_to_run: str | None = None) -> HTMLResponse:
    """A refusal page; `message` in the reader's language (a text marked N_ is looked up in the catalog). A form
    sent from a run's page leads back to that run (`back_to_run`), where the form is, not to the queue."""
    said = message if isinstance(message, Message) else Message(message)
    title = {404: N_("Not found"), 400: N_("Check the form")}.get(status, N_("Refused"))
    return page("web_message.html.j2", status, lang, title=title, message=said, session=session,
                back_to_run=back_to_run)


def _run_of(ctx: Ctx, action: str) -> Run:
    run_id = ctx.request.path_params["run_id"]
    run = ctx.state.runs.get(run_id) if RUN_ID.match(run_id) else None
    workflow.allowed(ctx.account, action, run)
    return run


def _age(created_at: str, lang: str) -> str:
    """How long a run has waited, as the reader's language says it (CLDR: "3 päivää", "2 timmar")."""
    from babel.dates import format_timedelta

    age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(created_at)
    return format_timedelta(age, threshold=1.5, locale=i18n.CLDR.get(lang, i18n.CLDR[i18n.DEFAULT]))


def summary(run: Run, lang: str = i18n.DEFAULT) -> dict[str, Any]:
    """What the queue and a run page show of a run; its title in the reader's language where the request
    gave one."""
    d = run.details
    titles = d.get("texts", {}).get("title", {})
    return {"run_id": run.run_id, "request_id": run.request_id, "project": run.project, "requester": run.requester,
            "account": run.submitted_by,  # the signed-in account that handed it in: the name above is typed text
            "contact": run.contact, "status": run.status, "created_at": run.created_at,
            "age": _age(run.created_at, lang), "title": titles.get(lang) or d.get("title", run.request_id),
            "purpose": d.get("purpose", ""),
            "purpose_label": labels.purpose(d.get("purpose", "")),
            "outputs": sorted(d.get("outputs", {})), "differences": d.get("differencing_findings", [])}


def queue(ctx: Ctx) -> Response:
    runs = sorted(access.visible_runs(ctx.account, list(ctx.state.runs.values())),
                  key=lambda r: (r.created_at, r.run_id), reverse=True)
    return page("web_queue.html.j2", lang=ctx.lang, title=N_("Airlock queue"), reviewers=REVIEWERS,
                runs=[{**summary(r, ctx.lang), **decided(r, ctx.account.name)} for r in runs], session=ctx.session)


def decided(run: Run, viewer: str) -> dict[str, Any]:
    """How many checkers have decided a run waiting for review, and whether the viewer is one of them: the
    queue says "waiting for the second checker" without showing what the first decided (blind review)."""
    return {"decided": len(run.reviews), "mine": any(r.reviewer == viewer for r in run.reviews)}


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
    target = ctx.request.query_params.get("file")  # the file whose rows are paged or filtered
    files = ctx.views.files(folder, number, earlier, run.recorded_files, controller, wanted, target) \
        if see_files else []
    shown = summary(run, ctx.lang)
    return page("web_run.html.j2", lang=ctx.lang, title=shown["title"], run=shown,
                files=files,
                check=ctx.views.check(folder) if checker else None, checker=checker, see_files=see_files,
                reviews=workflow.visible_reviews(run, ctx.account.name), earlier=[r.run_id for r in earlier_runs],
                decided=len(run.reviews) >= REVIEWERS,
                session=ctx.session, own=access.is_own(ctx.account, run),
                may_decide=bool(access.authorise(ctx.account, "decide", run))
                and not any(r.reviewer == ctx.account.name for r in run.reviews),  # one decision each
                may_release=bool(access.authorise(ctx.account, "release", run)),
                released=(run.released_to, i18n.date(run.released_at, ctx.lang)) if checker and run.released_to
                else None)


def review_report(ctx: Ctx) -> Response:
    """The review report in the reader's language (a run made before reports came in three: its one report)."""
    run = _run_of(ctx, "read_report")
    if "name" not in ctx.request.path_params:  # the report's links are relative to its folder
        return RedirectResponse(f"/runs/{run.run_id}/review/review_{ctx.lang}.html", status_code=303)
    recorded = run.details.get("folder_files", {})
    name = ctx.request.path_params["name"]
    if f"review/{name}" not in recorded and OLD_RUN_PAGE.match(name):  # a run made before reports came in three
        name = f"{OLD_RUN_PAGE.match(name).group(1)}.html"  # languages: its one report or codebook
    if f"review/{name}" not in recorded:
        return refuse(404, N_("No such file."), ctx.session, ctx.lang)
    folder = workflow.folder_of(ctx.store, run)
    return _serve(folder.review / name, ctx, "text/html; charset=utf-8", recorded.get(f"review/{name}"))


def notice(ctx: Ctx) -> Response:
    """A run's notice to the people in the data, linked from its review report (for its output checkers)."""
    run = _run_of(ctx, "read_report")
    name = ctx.request.path_params["name"]
    recorded = run.details.get("folder_files", {}).get(f"notices/{name}")
    if recorded is None:
        return refuse(404, N_("No such file."), ctx.session, ctx.lang)
    return _serve(workflow.folder_of(ctx.store, run).notices / name, ctx, "text/html; charset=utf-8", recorded)


def controller_file(ctx: Ctx) -> Response:
    """A link from the review report into the controller's folder: those lists name people, so they are not
    served; the page says where they are."""
    run = _run_of(ctx, "read_report")
    if f"controller/{ctx.request.path_params['name']}" not in run.details.get("folder_files", {}):
        return refuse(404, N_("No such file."), ctx.session, ctx.lang)
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
    try:
        workflow.decide(ctx.store, ctx.account.name, run_id, str(ctx.form.get("decision", "")),
                        str(ctx.form.get("comment", "")))
    except Refused as exc:
        return refused(exc, ctx.session, ctx.lang, back_to_run=run_id if exc.status == 400 else None)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


def release(ctx: Ctx) -> Response:
    run_id = ctx.request.path_params["run_id"]
    if not RUN_ID.match(run_id):
        return refuse(404, N_("No such run."), ctx.session, ctx.lang)
    workflow.release(ctx.store, ctx.account.name, run_id, ctx.release_to)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)  # the run page says where: a reload sends nothing


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
    blind = {r.run_id for r in ctx.state.runs.values() if len(r.reviews) < REVIEWERS}  # visible_reviews' rule
    rows = [replace(r, details=json.dumps({k: v for k, v in r.data.items() if k not in ("decision", "comment")}))
            if r.action == "review" and r.run_id in blind and r.actor != ctx.account.name else r
            for r in audit_log.read(ctx.store.db(), after=start)
            if r.seq < before and (scope is None or r.run_id in visible)]
    return page("web_audit.html.j2", lang=ctx.lang, title=N_("Audit log"), records=rows, count=ctx.state.count,
                ok=True, session=ctx.session, older=start + 1 if start > 0 else None)


def refused(exc: ExtractorError, session: Session | None, lang: str = i18n.DEFAULT,
            back_to_run: str | None = None) -> HTMLResponse:
    reason = exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc)
    return refuse(getattr(exc, "status", 409), reason, session, lang, back_to_run)
