"""Security headers on every response of the airlock (an ASGI middleware: no per-request Python object).

No script may run (CSP default-src 'none', so no inline or remote script), no page may be framed
(frame-ancestors 'none', X-Frame-Options), no type sniffing, no Referer sent on (the URLs name runs),
nothing stored by the browser or a proxy (Cache-Control: no-store: the pages carry exact counts), and
HSTS when served over TLS.
"""

from __future__ import annotations

import logging
from typing import Any

LOG = logging.getLogger("extractor.web")

CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
           (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"cache-control", b"no-store"), (b"pragma", b"no-cache"),
           (b"cross-origin-opener-policy", b"same-origin"), (b"cross-origin-resource-policy", b"same-origin"),
           (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    def __init__(self, app: Any, tls: bool = False) -> None:
        self.app = app
        self.extra = HEADERS + ([HSTS] if tls else [])

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def with_headers(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k for k, _ in self.extra}
                message["headers"] = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names] \
                    + self.extra
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            if started:
                raise
            # Starlette's own error page would go out past this middleware, without the headers
            LOG.exception("unhandled error on %s", scope.get("path", ""))
            await with_headers({"type": "http.response.start", "status": 500,
                                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b"Internal Server Error"})
