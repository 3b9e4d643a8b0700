"""Browser sessions: a random token in an HttpOnly, SameSite=Strict cookie, an idle and an absolute expiry,
and a CSRF token; plus the token that guards the sign-in form itself (login CSRF).

Held in the server's memory (one process serves one output root): restarting the server signs everyone
out, which is the safe failure. A session names an account only; what it may do is read from the
verified state on every request, so a disabled account or a role taken away applies at once.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass


@dataclass
class Session:
    user: str
    csrf: str
    expires: float
    ends: float  # the absolute end, however active the session is
    stamp: str = ""  # the account's session stamp when it signed in: a new password, a disable or enable ends it


class Sessions:
    def __init__(self, idle_seconds: float = 1800.0, absolute_seconds: float = 8 * 3600.0) -> None:
        self.idle, self.absolute = idle_seconds, absolute_seconds
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, user: str, stamp: str = "") -> str:
        token, now = secrets.token_urlsafe(32), time.monotonic()
        with self._lock:
            self._by_token[token] = Session(user, secrets.token_urlsafe(32), now + self.idle, now + self.absolute,
                                            stamp)
        return token

    def get(self, token: str | None) -> Session | None:
        """The live session of a token; an expired one is forgotten. Each use extends the idle expiry."""
        now = time.monotonic()
        with self._lock:
            session = self._by_token.get(token or "")
            if session is None:
                return None
            if session.expires < now or session.ends < now:
                del self._by_token[token or ""]
                return None
            session.expires = min(now + self.idle, session.ends)
            return session

    def end(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)

    @staticmethod
    def csrf_ok(expected: str | None, given: object) -> bool:
        # compared as bytes: compare_digest refuses a str with characters beyond ASCII (a 500, not a 403)
        return bool(expected) and isinstance(given, str) and hmac.compare_digest(
            (expected or "").encode("utf-8"), given.encode("utf-8", "surrogatepass"))
