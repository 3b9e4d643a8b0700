"""`extractor serve`: the airlock in a browser, over the same release/ functions as the CLI.

Every page goes through one guard: the Host header must be one the airlock answers to; the request is
identified (identity.py); a form must come from the airlock's own pages (same_origin.py) and carry the
session's CSRF token; the page's own check asks access.authorise. Handlers run in worker threads. Refusals:
400 a malformed form, 401 not signed in, 403 not allowed, 404 no such run or file (or one the account may not
know of), 409 a decision or release the run's state does not allow, 429 too many failed sign-ins. Every
decision and release is an audit record naming the account.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from extractor import i18n
from extractor.errors import ExtractorError
from extractor.i18n import N_
from extractor.release import access
from extractor.release.store import Store
from extractor.web import hand_in_pages, pages
from extractor.web.headers import SecurityHeaders
from extractor.web.identity import Identity, Who
from extractor.web.pages import Ctx, page, refuse, refused
from extractor.web.run_view import RunViews
from extractor.web.same_origin import cross_site
from extractor.web.sessions import Sessions
from extractor.web.settings import Settings

MAX_FORM = 64 * 1024
LANG_COOKIE = "extractor_lang"
SAME_SITE_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9/_.=?&%-]{0,300}$")  # back to a page of this airlock only
LOGIN_FORM_SECONDS = 3600


class Airlock:
    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.store = Store(settings.out_root, settings.state)
        self.store.reading()  # the whole chain verified before the first page: a rewritten log stops the server
        self.identity = Identity(settings, self.store)
        self.views = RunViews()

    def _cookie(self, response: Response, name: str, token: str, seconds: float | None = None) -> None:
        response.set_cookie(name, token, httponly=True, samesite="strict", secure=self.s.tls, path="/",
                            max_age=int(seconds if seconds is not None else self.s.absolute_seconds))

    async def _form(self, request: Request) -> Any:
        """The posted form, read only up to MAX_FORM bytes however it is sent (a chunked body has no length)."""
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise ExtractorError("expected a form")
        if int(request.headers.get("content-length") or 0) > MAX_FORM:
            raise ExtractorError("form too large")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                raise ExtractorError("form too large")
        pairs = urllib.parse.parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True,
                                       max_num_fields=20)
        return FormData(pairs)

    def guard(self, handler: Callable[[Ctx], Response], post: bool = False) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            if post and cross_site(request.scope, self.s.allowed_hosts):
                return self._cross_site(request)
            try:
                form = await self._form(request) if post else {}
            except Exception:  # noqa: BLE001 - any malformed body is the client's error
                return refuse(400, N_("The form could not be read."), lang=self.lang(request))
            return await run_in_threadpool(self._handle, handler, request, form, post)
        return endpoint

    def _handle(self, handler: Callable[[Ctx], Response], request: Request, form: Any, post: bool) -> Response:
        pages.HERE.set(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        pages.AUDIT_LINK.set(False)
        who = Who()
        try:
            state = self.store.reading()
            who = self.identity.who(request, state)
            if who.account is None:
                return self._unknown(who, request)
            lang = self.lang(request, who.account.language)
            pages.AUDIT_LINK.set(bool(access.authorise(who.account, "read_audit")))  # not offered to a requester
            if post and not Sessions.csrf_ok(who.session.csrf, form.get("csrf")):
                response = refuse(403, N_("The form's security token is missing or wrong; nothing changed. Reload "
                                          "the page and try again."), who.session, lang)
            else:
                files = (self.s.catalog, self.s.policy) if self.s.catalog else None
                response = handler(Ctx(request, who.account, who.session, state, form, self.store, self.views,
                                       self.s.release_to, lang, files))
        except ExtractorError as exc:
            response = refused(exc, who.session, self.lang(request, who.account.language if who.account else None))
        if who.new_token:
            self._cookie(response, self.identity.cookie, who.new_token)
        return response

    def _cross_site(self, request: Request) -> Response:
        return refuse(403, N_("This form was sent from another site, so nothing was done. Open the airlock's own "
                              "page and send the form from there."), lang=self.lang(request))

    @staticmethod
    def lang(request: Request, preferred: str | None = None) -> str:
        """The reader's language: chosen on a page (a cookie), else the account's, else the browser's."""
        return i18n.choose(request.cookies.get(LANG_COOKIE), preferred,
                           i18n.from_accept_language(request.headers.get("accept-language")))

    def _unknown(self, who: Who, request: Request) -> Response:
        if self.s.trusted_header or who.status != 401:
            return refuse(who.status, who.message or N_("Sign in first."), lang=self.lang(request))
        return self._login_page(401, who.message or None, self.lang(request))

    def _login_page(self, status: int = 200, error: str | None = None, lang: str = i18n.DEFAULT) -> Response:
        token = self.identity.login_token()
        response = page("web_login.html.j2", status, lang, title=N_("Sign in"), error=error, session=None,
                        login_csrf=token)
        self._cookie(response, self.identity.login_cookie, token, LOGIN_FORM_SECONDS)
        return response

    async def login(self, request: Request) -> Response:
        lang = self.lang(request)
        if self.s.trusted_header:
            return refuse(404, N_("Sign in through your organisation's sign-in service."), lang=lang)
        if request.method == "GET":
            return self._login_page(lang=lang)
        if cross_site(request.scope, self.s.allowed_hosts):
            return self._cross_site(request)
        try:
            form = await self._form(request)
        except Exception:  # noqa: BLE001
            return refuse(400, N_("The form could not be read."), lang=lang)
        who = await run_in_threadpool(self.identity.sign_in, request, str(form.get("user", ""))[:200],
                                      str(form.get("password", ""))[:1000], form.get("login_csrf"))
        if who.account is None:
            return self._login_page(who.status, who.message, lang)
        response = RedirectResponse("/", status_code=303)
        self._cookie(response, self.identity.cookie, who.new_token or "")
        response.delete_cookie(self.identity.login_cookie, path="/")
        return response

    async def language(self, request: Request) -> Response:
        """`/language/fi`: the reader's choice, kept in a cookie for a year (not a secret, not the session)."""
        code = i18n.supported(request.path_params["code"])
        if code is None or code != request.path_params["code"]:
            return refuse(404, N_("No such language: the airlock speaks fi, sv and en."), lang=self.lang(request))
        back = request.query_params.get("back", "/")
        response = RedirectResponse(back if SAME_SITE_PATH.match(back) else "/", status_code=303)
        response.set_cookie(LANG_COOKIE, code, httponly=True, samesite="strict", secure=self.s.tls, path="/",
                            max_age=365 * 24 * 3600)
        return response

    def logout(self, ctx: Ctx) -> Response:
        self.identity.sessions.end(ctx.request.cookies.get(self.identity.cookie))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(self.identity.cookie, path="/")
        return response


async def _no_such_page(request: Request, _exc: Exception) -> Response:
    """An address no route answers: the airlock's own page in the reader's language (Starlette's is English)."""
    return refuse(404, N_("No such page."), lang=Airlock.lang(request))


def create_app(settings: Settings) -> Starlette:
    a = Airlock(settings)
    g = a.guard
    app = Starlette(routes=[
        Route("/login", a.login, methods=["GET", "POST"]), Route("/logout", g(a.logout, True), methods=["POST"]),
        Route("/", g(pages.queue)), Route("/audit", g(pages.audit)), Route("/runs/{run_id}", g(pages.run_page)),
        Route("/runs/{run_id}/review", g(pages.review_report)),
        Route("/runs/{run_id}/review/codebook.html", g(pages.codebook)),
        Route("/runs/{run_id}/review/{name}", g(pages.review_report)),
        Route("/runs/{run_id}/release/{name}", g(pages.released_file)),
        Route("/runs/{run_id}/controller/{name}", g(pages.controller_file)),
        Route("/runs/{run_id}/notices/{name}", g(pages.notice)),
        Route("/language/{code}", a.language),
        Route("/runs/{run_id}/codebook.html", g(pages.codebook)),
        Route("/runs/{run_id}/files/{name}", g(pages.released_file)),
        Route("/runs/{run_id}/decide", g(pages.decide, True), methods=["POST"]),
        Route("/runs/{run_id}/release", g(pages.release, True), methods=["POST"]),
        Route("/submit", g(hand_in_pages.submit_form)),
        Route("/submit/send", g(hand_in_pages.submit, True), methods=["POST"]),
        Route("/submissions", g(hand_in_pages.my_submissions))],
        middleware=[Middleware(SecurityHeaders, tls=settings.tls),
                    Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))],
        exception_handlers={404: _no_such_page})
    app.state.store = a.store
    return app
