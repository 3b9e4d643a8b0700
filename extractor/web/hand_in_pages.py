"""The requester's pages: hand a request in (the form, and what it sends) and follow one's own requests.

Like every page, each asks release/access.py (authorise_submit) before anything is recorded or shown.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from extractor.i18n import N_
from extractor.release import access, submissions, workflow
from extractor.release.airlock_state import Account
from extractor.release.hand_in_check import first_problem
from extractor.release.workflow import Refused
from extractor.web.pages import Ctx, page, refuse

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
        if name or text.strip():  # a slot named as the request would replace it: named so that it is refused
            files[f"(query {i} is named {name})" if name == submissions.REQUEST_FILE else name or
                  f"(query {i} has no name)"] = text
    replaces = str(form.get("replaces", "")) or None
    try:
        if ctx.controller_files:  # the request's names and SQL against the controller's catalog, no data read
            verdict = access.authorise_submit(ctx.account, project)  # only a requester of the project may ask
            if not verdict:
                raise Refused(verdict.status, verdict.reason)
            submissions.check_files(project, files)
            problem = first_problem(files, *ctx.controller_files, account=ctx.account.name, lang=ctx.lang)
            if problem:
                raise Refused(400, problem)
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
    subs = [submissions.summary(s, ctx.state.runs, ctx.lang) for s in submissions.visible(ctx.account.name,
                                                                                ctx.state.submissions)]
    for s in subs:
        run = ctx.state.runs.get(s["run_id"]) if s["run_id"] else None
        s["reviews"] = workflow.visible_reviews(run, ctx.account.name) if run else []
        s["files_out"] = sorted(run.details.get("outputs", {})) if run and run.status == "released" else []
    return page("web_submissions.html.j2", lang=ctx.lang, title=N_("Your requests"), session=ctx.session, subs=subs)
