"""Who is asking: a signed-in session's account, or the account a trusted sign-on proxy names.

Local accounts sign in with a password (throttled per account and per address, hashed off the event loop with
at most two hashes at a time, the form guarded by its own CSRF token, issued and signed by the server, so
nobody can sign a victim into the attacker's session). With a trusted header, the user header is believed only
from a configured proxy address that also sends the shared secret; the name is normalised and must be an
existing, enabled account: an unknown name is refused, never created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

from starlette.requests import Request

from extractor.errors import ExtractorError
from extractor.i18n import Message
from extractor.release import accounts
from extractor.release.airlock_state import Account, AirlockState, normalise
from extractor.release.store import Store
from extractor.web.sessions import Session, Sessions
from extractor.web.settings import SECRET_HEADER, Settings
from extractor.web.throttle import Throttle


@dataclass
class Who:
    """The outcome of identifying a request: an account and its session, or a refusal (status, message)."""

    account: Account | None = None
    session: Session | None = None
    new_token: str | None = None
    status: int = 200
    message: str = ""


class Identity:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.s, self.store = settings, store
        self.sessions = Sessions(settings.idle_seconds, settings.absolute_seconds)
        self.throttle = Throttle(settings.failures_allowed, settings.lockout_seconds)
        self._hashing = threading.BoundedSemaphore(2)
        self._login_key = secrets.token_bytes(32)  # this server's: a restart asks for the sign-in page again
        prefix = "__Host-" if settings.tls else ""
        self.cookie, self.login_cookie = f"{prefix}extractor_session", f"{prefix}extractor_login"

    def who(self, request: Request, state: AirlockState) -> Who:
        if self.s.trusted_header:
            return self._from_proxy(request, state)
        token = request.cookies.get(self.cookie)
        session = self.sessions.get(token)
        if session is None:
            return Who(status=401, message="")
        account = state.account(session.user)
        if account is None or account.session_stamp != session.stamp:
            self.sessions.end(token)
            return Who(status=401, message=Message("This account is disabled, no longer exists or has a new "
                                                   "password: sign in again."))
        return Who(account, session)

    def _from_proxy(self, request: Request, state: AirlockState) -> Who:
        given = request.headers.getlist(self.s.trusted_header or "")
        if len(given) > 1:
            return Who(status=403, message=Message("The user header came more than once: refused."))
        name = given[0] if given else ""
        if not name.strip():
            return Who(status=401, message=Message("Sign in through your organisation's sign-in service."))
        peer = request.client.host if request.client else ""
        if peer not in self.s.trusted_proxies or not Sessions.csrf_ok(self.s.proxy_secret,
                                                                        request.headers.get(SECRET_HEADER)):
            return Who(status=403, message=Message("The user header did not come from the configured sign-in "
                                                   "proxy: refused."))
        account = state.account(normalise(name))
        if account is None:
            return Who(status=403, message=Message("The sign-in service named an account this airlock does not "
                                                   "have."))
        token = request.cookies.get(self.cookie)
        session = self.sessions.get(token)
        if session is not None and session.user == account.name and session.stamp == account.session_stamp:
            return Who(account, session)
        token = self.sessions.start(account.name, account.session_stamp)
        return Who(account, self.sessions.get(token), new_token=token)

    def login_token(self) -> str:
        """The sign-in form's token: random, and signed with this server's key, so a value someone else
        chose (planted as a cookie and posted alike) is not one."""
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._login_mac(nonce)}"

    def _login_mac(self, nonce: str) -> str:
        return hmac.new(self._login_key, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def _login_token_ok(self, cookie: str | None, form_token: object) -> bool:
        nonce, _, mac = (cookie or "").partition(".")
        return Sessions.csrf_ok(cookie, form_token) and Sessions.csrf_ok(self._login_mac(nonce), mac)

    def sign_in(self, request: Request, user: str, password: str, form_token: object) -> Who:
        """Check a sign-in form (runs in a worker thread: scrypt never blocks the event loop)."""
        if not self._login_token_ok(request.cookies.get(self.login_cookie), form_token):
            return Who(status=403, message=Message("The sign-in form has expired; reload the page and sign in "
                                                   "again."))
        peer = request.client.host if request.client else "?"
        keys = (f"account:{normalise(user)}", f"address:{peer}")
        wait = self.throttle.begin(*keys)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            return Who(status=429, message=Message("Too many failed sign-ins for this account or from this "
                                                   "address. Try again in %(minutes)s minute(s).", minutes=minutes))
        account = None
        try:
            with self._hashing:
                account = accounts.authenticate(self.store, user, password)
        except ExtractorError as exc:  # the credentials were edited: refuse, say so
            return Who(status=403, message=str(exc))
        finally:
            self.throttle.end(keys, failed=account is None)
        if account is None:
            return Who(status=401, message=Message("Wrong user name or password."))
        token = self.sessions.start(account.name, account.session_stamp)
        return Who(account, self.sessions.get(token), new_token=token)
