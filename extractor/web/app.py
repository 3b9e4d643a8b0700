"""`extractor serve`: the airlock in a browser, over the same release/ functions as the CLI.

Pages: the queue, a run (its review report, each released file previewed with suppressed and rounded
cells marked, the project's earlier releases compared, the checker's verdict, the decision form), the
audit log with its verification. Who may do what: a local account (accounts.py) or, where configured,
a user named by the single sign-on proxy's trusted header; sessions expire; every form carries a CSRF
token; the requester may not review their own run (workflow.decide); files are served only from the
run's own release folder. Refusals: 401 not signed in, 403 no CSRF token or not allowed, 404 no such
run or file, 409 a decision or release the run's state does not allow. Every decision and release is
an audit-log record naming the acting user.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from extractor.checker.release_check import check_release
from extractor.errors import ExtractorError
from extractor.release import audit_log, store, workflow
from extractor.release.layout import RunFolder
from extractor.reports.render import render
from extractor.web import accounts
from extractor.web.preview import compare, preview
from extractor.web.sessions import COOKIE, Session, Sessions


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(template, {"lang": "en", **context}), status_code=status)


def _refuse(status: int, message: str, session: Session | None = None) -> HTMLResponse:
    return _page("web_message.html.j2", status, title="Refused", message=message, session=session)


def _status_of(error: ExtractorError) -> int:
    text = str(error)
    if "may not review" in text:
        return 403
    if "not in this output root" in text:
        return 404
    return 409  # not awaiting review, already decided, not approved


class Airlock:
    """One output root's airlock: its sessions, and a handler per page (each guarded by `_guard`)."""

    def __init__(self, out_root: Path, release_to: Path, trusted_header: str | None, session_seconds: float) -> None:
        self.out_root, self.release_to, self.trusted_header = out_root, release_to, trusted_header
        self.seconds = session_seconds
        self.sessions = Sessions(session_seconds)

    def _session_of(self, request: Request) -> Session | None:
        if self.trusted_header:  # the SSO proxy names the user; a session still carries the CSRF token
            user = request.headers.get(self.trusted_header, "").strip()
            if not user:
                return None
            found = self.sessions.get(request.cookies.get(COOKIE))
            if found is not None and found.user == user:
                return found
            request.state.new_token = self.sessions.start(user, "reviewer")
            return self.sessions.get(request.state.new_token)
        return self.sessions.get(request.cookies.get(COOKIE))

    def _cookie(self, response: Response, token: str) -> None:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=int(self.seconds))

    def _guard(self, handler: Any, post: bool = False) -> Any:
        async def endpoint(request: Request) -> Response:
            session = self._session_of(request)
            if session is None:
                response: Response = _page("web_login.html.j2", 401, title="Sign in", error=None, session=None)
            else:
                form = await request.form() if post else {}
                if post and not Sessions.csrf_ok(session, form.get("csrf")):
                    response = _refuse(403, "The form's security token is missing or wrong; nothing changed. "
                                            "Reload the page and try again.", session)
                else:
                    response = await handler(request, session, form)
            token = getattr(request.state, "new_token", None)
            if token:
                self._cookie(response, token)
            return response
        return endpoint

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return _page("web_login.html.j2", title="Sign in", error=None, session=None)
        form = await request.form()
        role = accounts.authenticate(self.out_root, str(form.get("user", "")), str(form.get("password", "")))
        if role is None:
            return _page("web_login.html.j2", 401, title="Sign in", error="Wrong user name or password.",
                         session=None)
        response = RedirectResponse("/", status_code=303)
        self._cookie(response, self.sessions.start(str(form.get("user")), role))
        return response

    async def logout(self, request: Request, session: Session, form: Any) -> Response:
        self.sessions.end(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    def runs(self) -> list[dict[str, Any]]:
        with audit_log.opened(self.out_root) as con:
            runs = store.all_runs(con)
        now = dt.datetime.now(dt.UTC)
        for run in runs:
            details = json.loads(run["details"] or "{}")
            run.update(title=details.get("title", run["request_id"]), purpose=details.get("purpose", ""),
                       outputs=sorted(details.get("outputs", {})), differences=details.get("differencing_findings", []))
            age = now - dt.datetime.fromisoformat(run["created_at"])
            run["age"] = f"{age.days} d" if age.days else f"{age.seconds // 3600} h {age.seconds % 3600 // 60} min"
        return runs

    def _find(self, request: Request) -> dict[str, Any] | None:
        return next((r for r in self.runs() if r["run_id"] == request.path_params["run_id"]), None)

    async def queue(self, request: Request, session: Session, form: Any) -> Response:
        return _page("web_queue.html.j2", title="Airlock queue", runs=self.runs(), session=session)

    async def run_page(self, request: Request, session: Session, form: Any) -> Response:
        run = self._find(request)
        if run is None:
            return _refuse(404, "No such run.", session)
        folder = RunFolder(Path(run["run_dir"]))
        manifest = json.loads(folder.manifest.read_text(encoding="utf-8")) if folder.manifest.is_file() else {}
        entries = {o["file"]: o for o in manifest.get("outputs", [])}
        files = [{"name": p.name, **preview(p, entries.get(p.name))} for p in sorted(folder.release.iterdir())
                 if p.is_file() and p.name != "manifest.json"] if folder.release.is_dir() else []
        report = check_release(folder.release) if folder.release.is_dir() else None
        with audit_log.opened(self.out_root) as con:
            _, reviews = workflow.visible_reviews(con, run["run_id"], session.user)
            earlier = [r for r in store.released_runs_of(con, run["project"]) if r[0] != run["run_id"]]
        if earlier:  # the newest earlier release of the project, table by table
            before = RunFolder(Path(earlier[-1][1])).release
            for f in files:
                if f["header"] and (before / f["name"]).is_file():
                    f["compared"] = compare(folder.release / f["name"], before / f["name"], entries.get(f["name"]))
        own = session.user.lower() in {run["requester"].lower(), run["contact"].lower()}
        return _page("web_run.html.j2", title=f"Run {run['run_id']}", run=run, files=files, check=report,
                     reviews=reviews, earlier=earlier, session=session, own=own)

    async def review_report(self, request: Request, session: Session, form: Any) -> Response:
        run = self._find(request)
        path = RunFolder(Path(run["run_dir"])).review / "review.html" if run else None
        return FileResponse(path) if path and path.is_file() else _refuse(404, "No such run or report.", session)

    async def released_file(self, request: Request, session: Session, form: Any) -> Response:
        run = self._find(request)
        if run is None:
            return _refuse(404, "No such run.", session)
        folder = RunFolder(Path(run["run_dir"])).release.resolve()
        path = (folder / request.path_params["name"]).resolve()
        if path.parent != folder or not path.is_file():  # no ../, no links out of the run's release folder
            return _refuse(404, "No such file in this run's release.", session)
        return FileResponse(path, filename=path.name)

    async def decide(self, request: Request, session: Session, form: Any) -> Response:
        run_id, decision = request.path_params["run_id"], str(form.get("decision", ""))
        comment = str(form.get("comment", "")).strip()
        if session.role not in ("reviewer", "admin"):
            return _refuse(403, "Only reviewers decide on runs.", session)
        if decision in ("return", "reject") and not comment:
            return _refuse(400, "Say why: a return or a rejection needs a comment for the requester.", session)
        try:
            with audit_log.opened(self.out_root) as con:
                workflow.decide(con, run_id, session.user, decision, comment)
        except ExtractorError as exc:
            return _refuse(_status_of(exc), str(exc), session)
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    async def release(self, request: Request, session: Session, form: Any) -> Response:
        if session.role not in ("reviewer", "admin"):
            return _refuse(403, "Only reviewers release runs.", session)
        try:
            with audit_log.opened(self.out_root) as con:
                final = workflow.release(con, request.path_params["run_id"], self.release_to, who=session.user)
        except ExtractorError as exc:
            return _refuse(_status_of(exc), str(exc), session)
        return _page("web_message.html.j2", title="Released", message=f"Released to {final}.", session=session)

    async def audit(self, request: Request, session: Session, form: Any) -> Response:
        try:
            n, anchors, head = audit_log.verify_store(self.out_root)
            verdict, ok = f"Verified: {n} records, {anchors} run anchors, chain head {head}.", True
        except ExtractorError as exc:
            verdict, ok = str(exc), False
        return _page("web_audit.html.j2", title="Audit log", records=audit_log.records(self.out_root),
                     verdict=verdict, ok=ok, session=session)


def create_app(out_root: Path, release_to: Path, trusted_header: str | None = None,
               session_seconds: float = 1800.0) -> Starlette:
    a = Airlock(out_root, release_to, trusted_header, session_seconds)
    g = a._guard  # noqa: SLF001 - the app's own guard
    return Starlette(routes=[
        Route("/login", a.login, methods=["GET", "POST"]), Route("/logout", g(a.logout, True), methods=["POST"]),
        Route("/", g(a.queue)), Route("/audit", g(a.audit)), Route("/runs/{run_id}", g(a.run_page)),
        Route("/runs/{run_id}/review", g(a.review_report)),
        Route("/runs/{run_id}/files/{name:path}", g(a.released_file)),
        Route("/runs/{run_id}/decide", g(a.decide, True), methods=["POST"]),
        Route("/runs/{run_id}/release", g(a.release, True), methods=["POST"])])
