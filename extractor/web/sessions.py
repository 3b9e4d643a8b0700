"""Browser sessions: a random token in an HttpOnly, SameSite=Strict cookie, an expiry, and a CSRF token.

Held in the server's memory (one process serves one output root): restarting the server logs everyone
out, which is the safe failure. Every form carries the session's CSRF token; a POST without it, or with
another session's, changes nothing.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

COOKIE = "extractor_session"


@dataclass
class Session:
    user: str
    role: str
    csrf: str
    expires: float


class Sessions:
    def __init__(self, seconds: float = 1800.0) -> None:
        self.seconds = seconds
        self._by_token: dict[str, Session] = {}

    def start(self, user: str, role: str) -> str:
        token = secrets.token_urlsafe(32)
        self._by_token[token] = Session(user, role, secrets.token_urlsafe(32), time.monotonic() + self.seconds)
        return token

    def get(self, token: str | None) -> Session | None:
        """The live session of a token; an expired one is forgotten. Each use extends it."""
        session = self._by_token.get(token or "")
        if session is None:
            return None
        if session.expires < time.monotonic():
            del self._by_token[token or ""]
            return None
        session.expires = time.monotonic() + self.seconds
        return session

    def end(self, token: str | None) -> None:
        self._by_token.pop(token or "", None)

    @staticmethod
    def csrf_ok(session: Session, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(session.csrf, given or "")
