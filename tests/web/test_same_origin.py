"""A form posted from another site is refused before it is read: decisions, releases and sign-ins alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from web.test_web_security import airlock, app, signed_in, state  # noqa: F401 - airlock: a fixture

from builders import PASSWORD
from extractor.web.same_origin import cross_site

HOSTS = ("airlock.example.fi", "*.hus.fi", "127.0.0.1", "localhost")


def scope(method: str = "POST", **headers: str | list[str]) -> dict:
    pairs = [(name.replace("_", "-").encode(), v.encode("latin-1"))
             for name, value in headers.items() for v in (value if isinstance(value, list) else [value])]
    return {"type": "http", "method": method, "headers": pairs}


@pytest.mark.parametrize(("request_scope", "refused"), [
    (scope(host="airlock.example.fi"), False),  # no Origin, no Sec-Fetch-Site: a script; the tokens decide
    (scope(origin="https://airlock.example.fi", host="airlock.example.fi"), False),
    (scope(origin="http://localhost:8765", host="localhost:8765"), False),  # the request's own host and port
    (scope(origin="https://airlock.example.fi", host="127.0.0.1:8765"), False),  # a proxy rewrote Host
    (scope(origin="https://review.hus.fi", host="127.0.0.1:8765"), False),  # a wildcard the airlock answers to
    (scope(origin="http://127.0.0.1:9999", host="127.0.0.1:8765"), True),  # the same name, another port
    (scope(origin="http://127.0.0.1", host="127.0.0.1:80"), False),  # the default port
    (scope(origin="http://localhost:9999", host="127.0.0.1:8861"), True),  # another listed name, another port
    (scope(origin="http://localhost:8861", host="127.0.0.1:8861"), False),  # another listed name, the same port
    (scope(origin="http://evil@127.0.0.1:8861", host="127.0.0.1:8861"), True),  # no browser sends a user
    (scope(origin="http://127.0.0.1:8861/x", host="127.0.0.1:8861"), True),  # nor a path
    (scope(origin="http://127.0.0.1:99999", host="127.0.0.1:8765"), True),  # no such port
    (scope(origin="http://[::1", host="127.0.0.1:8765"), True),  # not a URL
    (scope(origin="https://airlock.example.fi:8443", host="airlock.example.fi"), False),  # Host without a port
    (scope(origin="https://evil.example", host="airlock.example.fi"), True),
    (scope(origin="https://airlock.example.fi.evil.example", host="airlock.example.fi"), True),
    (scope(origin="https://evilhus.fi", host="127.0.0.1:8765"), True),  # *.hus.fi is not *hus.fi
    (scope(origin="http://localhost:9999", host="localhost:8765"), True),  # another port, a name not listed
    (scope(origin="null", sec_fetch_site="same-origin", host="airlock.example.fi"), False),  # no-referrer pages
    (scope(origin="null", host="airlock.example.fi"), False),  # an older browser: the tokens decide
    (scope(origin="null", sec_fetch_site="cross-site", host="airlock.example.fi"), True),  # a sandboxed frame
    (scope(origin="file://", host="airlock.example.fi"), True),
    (scope(origin="chrome-extension://abc", host="airlock.example.fi"), True),
    (scope(origin=["https://airlock.example.fi", "https://evil.example"], host="airlock.example.fi"), True),
    (scope(sec_fetch_site="cross-site", host="airlock.example.fi"), True),
    (scope(sec_fetch_site="same-site", host="airlock.example.fi"), True),  # a sibling subdomain is another site
    (scope(sec_fetch_site="same-origin", origin="https://airlock.example.fi", host="airlock.example.fi"), False),
    (scope(sec_fetch_site="none", host="airlock.example.fi"), False),  # typed in, or a bookmark
    (scope(sec_fetch_site="cross-site", origin="https://airlock.example.fi", host="airlock.example.fi"), True),
    (scope("GET", origin="https://evil.example", sec_fetch_site="cross-site"), False),  # reading: the pages decide
    (scope("HEAD", sec_fetch_site="cross-site"), False),
    (scope("PUT", origin="https://evil.example", host="airlock.example.fi"), True),
])
def test_cross_site_is_what_the_browser_says(request_scope: dict, refused: bool) -> None:
    assert cross_site(request_scope, HOSTS) is refused


def test_a_decision_posted_from_another_site_changes_nothing(airlock) -> None:  # noqa: F811 - the fixture
    out, run_id, client = airlock
    token = signed_in(client, "alice")
    before = state(out, run_id)
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"},
                    {"origin": "null", "sec-fetch-site": "cross-site"}):
        got = client.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": token}, headers=headers)
        assert got.status_code == 403 and "another site" in got.text
    assert state(out, run_id) == before
    got = client.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": token},
                      headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"})
    assert got.status_code == 303 and state(out, run_id)[1] == 1


def test_the_sign_in_form_posted_from_another_site_signs_nobody_in(tmp_path: Path, airlock) -> None:  # noqa: F811
    out, _, _ = airlock
    client = app(out, tmp_path / "released", allowed_hosts=("testserver",))
    login = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', login).group(1)
    got = client.post("/login", data={"user": "alice", "password": PASSWORD, "login_csrf": token},
                      headers={"origin": "https://evil.example", "accept-language": "fi"})
    assert got.status_code == 403 and "extractor_session" not in got.headers.get("set-cookie", "")
    assert "toiselta sivustolta" in got.text  # refused in the reader's language
    assert client.get("/").status_code == 401
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)
    got = client.post("/login", data={"user": "alice", "password": PASSWORD, "login_csrf": token},
                      headers={"origin": "http://testserver"})
    assert got.status_code == 303


def test_a_sign_in_token_the_attacker_chose_is_not_one(tmp_path: Path, airlock) -> None:  # noqa: F811
    """A cookie planted with a value of the attacker's choosing, and the same value in the form, signed in: the
    token was only compared cookie to form. It must be one this server issued."""
    out, _, _ = airlock
    client = app(out, tmp_path / "released")
    client.cookies.set("extractor_login", "attacker-chosen-value")
    got = client.post("/login", data={"user": "alice", "password": PASSWORD, "login_csrf": "attacker-chosen-value"})
    assert got.status_code == 403 and client.get("/").status_code == 401
    forged = "nonce." + "0" * 32  # the token's shape, not its signature
    client.cookies.set("extractor_login", forged)
    got = client.post("/login", data={"user": "alice", "password": PASSWORD, "login_csrf": forged})
    assert got.status_code == 403
