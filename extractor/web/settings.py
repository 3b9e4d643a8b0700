"""How one `extractor serve` is set up, checked once at start: one line and exit 2 for a setting that would
leave the airlock open (a user header believed from anyone, a proxy secret too short to guess)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import ExtractorError

MIN_SECRET = 24
SECRET_HEADER = "X-Extractor-Proxy-Secret"


@dataclass(frozen=True)
class Settings:
    out_root: Path
    release_to: Path
    state: str | None = None
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "testserver")
    trusted_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    proxy_secret: str | None = None
    idle_seconds: float = 1800.0
    absolute_seconds: float = 8 * 3600.0
    tls: bool = False
    failures_allowed: int = 5  # failed sign-ins per account and per address before a lock-out
    lockout_seconds: float = 60.0  # the first lock-out; each further failure doubles it, up to 15 minutes
    catalog: Path | None = None  # the controller's catalog: a request handed in is checked against it at once
    policy: Path | None = None


def settings_from(out_root: Path, release_to: Path, *, state: str | None = None, host: str = "127.0.0.1",
                  port: int = 8765, allowed_hosts: list[str] | None = None, trusted_header: str | None = None,
                  trusted_proxies: list[str] | None = None, session_minutes: int = 30, session_hours: int = 8,
                  tls: bool = False, catalog: Path | None = None, policy: Path | None = None) -> Settings:
    hosts = tuple(allowed_hosts or ()) or (host, "localhost", "127.0.0.1")
    secret = os.environ.get("EXTRACTOR_PROXY_SECRET")
    if trusted_header:
        if not trusted_proxies:
            raise ExtractorError("--trusted-header: needs --trusted-proxy ADDRESS (the proxy's address); a user header "
                                 "believed from any peer lets anyone sign in as anyone")
        if not secret or len(secret) < MIN_SECRET:
            raise ExtractorError(f"--trusted-header: needs EXTRACTOR_PROXY_SECRET (at least {MIN_SECRET} characters), "
                                 f"which the proxy sends in {SECRET_HEADER}")
    return Settings(out_root.resolve(), release_to.resolve(), state, tuple(hosts), trusted_header,
                    tuple(trusted_proxies or ()), secret if trusted_header else None, session_minutes * 60.0,
                    session_hours * 3600.0, tls, catalog=catalog.resolve() if catalog else None,
                    policy=policy.resolve() if policy else None)
