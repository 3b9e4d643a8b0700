"""A form may only be posted from the airlock's own pages: checked before any form is read.

The session and sign-in cookies are SameSite=Strict and every form carries a token, so a page elsewhere cannot
post for a signed-in checker. This is the browser's own word on it, checked as well: a POST whose
`Sec-Fetch-Site` says it came from another site (a sandboxed frame or a data: page included), or whose `Origin`
names a host that is neither the request's own `Host` (on another port: another site) nor one the airlock
answers to, is refused 403 before its body is read, so the sign-in form cannot be posted from elsewhere either
(login CSRF: signing a victim into an attacker's account). A request without these headers (a script, an older
browser) is let through to the token checks, and so is an Origin of "null": the airlock's Referrer-Policy
(no-referrer) makes a browser send it for the airlock's own forms. The scheme is not compared: behind a TLS
proxy the Origin says https and the server sees http.
"""

from __future__ import annotations

import urllib.parse

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SAME = {"same-origin", "none"}
_DEFAULT_PORT = {"http": 80, "https": 443}  # none: the user typed the address or followed a bookmark


def _header(scope: dict, name: bytes) -> str | None:
    values = [v for k, v in scope.get("headers", []) if k.lower() == name]
    return values[0].decode("latin-1").strip().lower() if len(values) == 1 else (None if not values else "")


def _answers_to(hostname: str, allowed: tuple[str, ...]) -> bool:
    """As Starlette's TrustedHostMiddleware reads its list: a name, "*" or "*.domain"."""
    return any(a == "*" or a == hostname or (a.startswith("*.") and hostname.endswith(a[1:])) for a in allowed)


def cross_site(scope: dict, allowed_hosts: tuple[str, ...] = ()) -> bool:
    """Whether the browser says this unsafe request came from elsewhere (a repeated header counts as such).
    The Origin must be the request's Host (its port too, when Host names one) or, when another name, one the
    airlock answers to (a proxy may rewrite Host)."""
    if scope.get("method", "GET").upper() in SAFE_METHODS:
        return False
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None and fetch_site not in SAME:
        return True
    origin = _header(scope, b"origin")
    if origin is None:
        return False
    if origin == "null":  # what a browser sends for its own pages too under Referrer-Policy: no-referrer
        return False
    try:
        return _other_site(origin, _header(scope, b"host") or "", allowed_hosts)
    except ValueError:  # not a URL (an unclosed IPv6 bracket), a port out of range
        return True


def _other_site(origin: str, host_header: str, allowed_hosts: tuple[str, ...]) -> bool:
    parsed, host = urllib.parse.urlsplit(origin), urllib.parse.urlsplit("//" + host_header)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or "@" in parsed.netloc \
            or parsed.path or parsed.query or parsed.fragment:
        return True  # no browser sends an Origin with a user, a path or a query
    port = parsed.port or _DEFAULT_PORT[parsed.scheme]
    if parsed.hostname == host.hostname:  # the same name: another port is another site (a service beside it)
        return host.port is not None and port != host.port
    # Another name the airlock answers to (a proxy in front rewrote Host): on its default port or the Host's.
    return not _answers_to(parsed.hostname, allowed_hosts) or port not in (_DEFAULT_PORT[parsed.scheme], host.port)
