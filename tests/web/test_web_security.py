"""The web airlock refuses what it must, with the right status code, and changes nothing when it does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from builders import PASSWORD, accounts, approve_and_release, submitted_run
from extractor.release import audit_log
from extractor.release.accounts import hash_password, password_matches
from extractor.release.store import opened
from extractor.web.app import create_app
from extractor.web.settings import Settings


def app(out: Path, released: Path, **settings) -> TestClient:
    return TestClient(create_app(Settings(out.resolve(), released.resolve(), **settings)), follow_redirects=False)


@pytest.fixture()
def airlock(tmp_path: Path):
    _, out, run_id = submitted_run(tmp_path)
    accounts(out, "T-1", checkers=("alice", "bob"), requesters=("r",))
    return out, run_id, app(out, tmp_path / "released")


def signed_in(client: TestClient, user: str) -> str:
    """Sign in; the CSRF token of the session, read from a page's form."""
    login = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', login).group(1)
    response = client.post("/login", data={"user": user, "password": PASSWORD, "login_csrf": token})
    assert response.status_code == 303, response.text
    page = client.get("/").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def state(out: Path, run_id: str) -> tuple[str, int, int]:
    with opened(out) as store:
        run = store.reading().run(run_id)
        return run.status, len(run.reviews), store.reading().count


def test_passwords_are_scrypt_hashed_and_checked_in_constant_time() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    assert password_matches(PASSWORD, stored) and not password_matches(PASSWORD + "x", stored)
    assert hash_password(PASSWORD) != stored  # a fresh salt each time


def test_unauthenticated_requests_are_refused(airlock) -> None:
    out, run_id, client = airlock
    before = state(out, run_id)
    for path in ("/", f"/runs/{run_id}", "/audit", f"/runs/{run_id}/files/manifest.json"):
        assert client.get(path).status_code == 401
    assert client.post(f"/runs/{run_id}/decide", data={"decision": "approve"}).status_code == 401
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"user": "alice", "password": "wrong password!", "login_csrf": token}
                       ).status_code == 401
    assert state(out, run_id) == before


def test_a_form_without_its_csrf_token_changes_nothing(airlock) -> None:
    out, run_id, client = airlock
    token = signed_in(client, "alice")
    before = state(out, run_id)
    assert client.post(f"/runs/{run_id}/decide", data={"decision": "approve"}).status_code == 403
    assert client.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": token[::-1]}).status_code == 403
    assert state(out, run_id) == before
    for foreign in ("é", "\u202e", "ö" * 64):  # characters beyond ASCII: refused as any wrong token, never a 500
        assert client.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": foreign}).status_code == 403
        assert client.post("/logout", data={"csrf": foreign}).status_code == 403
    assert state(out, run_id) == before
    assert client.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": token}).status_code == 303
    assert state(out, run_id)[1] == 1


def test_the_requester_may_not_review_their_own_run(airlock) -> None:
    out, run_id, client = airlock
    token = signed_in(client, "r")
    before = state(out, run_id)
    response = client.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": token})
    assert response.status_code == 403 and state(out, run_id) == before


def test_file_previews_stay_in_the_run_folder(airlock) -> None:
    out, run_id, client = airlock
    signed_in(client, "alice")
    for name in ("..%2Freview%2Freview.html", "../../../.extractor/state.sqlite",
                 "/etc/passwd", "nonexistent.csv", "%00", "x" * 5000, ".lock", "t.csv%00.txt"):
        assert client.get(f"/runs/{run_id}/files/{name}").status_code == 404, name
    for name in ("../controller/persons.parquet.fernet", "..%2Fcontroller%2Fpersons.parquet.fernet",
                 "../controller/persons.json"):  # the controller's files: never
        response = client.get(f"/runs/{run_id}/files/{name}")
        assert response.status_code in (403, 404) and "gAAAA" not in response.text \
            and "included" not in response.text, name
    assert client.get(f"/runs/{run_id}/files/t.csv").status_code == 200
    for run in ("%00", "x" * 5000, "..%2Fetc", "a%2F..%2F..", "%C0%AE%C0%AE"):
        assert client.get(f"/runs/{run}").status_code == 404, run


def test_decisions_and_releases_need_the_right_state(airlock) -> None:
    out, run_id, client = airlock
    token = signed_in(client, "alice")
    assert client.post(f"/runs/{run_id}/release", data={"csrf": token}).status_code == 409  # not approved
    assert client.post(f"/runs/{run_id}/decide", data={"decision": "return", "csrf": token}).status_code == 400
    assert client.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": token}).status_code == 303
    assert client.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": token}).status_code == 409
    bob = TestClient(client.app, follow_redirects=False)
    bob_token = signed_in(bob, "bob")
    assert bob.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": bob_token}).status_code == 303
    assert state(out, run_id)[0] == "approved"
    released = bob.post(f"/runs/{run_id}/release", data={"csrf": bob_token})
    assert released.status_code == 303 and released.headers["location"] == f"/runs/{run_id}"  # a reload posts nothing
    assert "Released to" in bob.get(f"/runs/{run_id}").text
    before = state(out, run_id)
    assert before[0] == "released"
    assert bob.post(f"/runs/{run_id}/decide", data={"decision": "reject", "comment": "late",
                                                    "csrf": bob_token}).status_code == 409
    assert bob.post(f"/runs/{run_id}/release", data={"csrf": bob_token}).status_code == 409
    assert state(out, run_id) == before
    with opened(out) as store:
        actors = [(r.actor, r.action) for r in audit_log.read(store.db()) if r.action in ("review", "release")]
    assert actors == [("alice", "review"), ("bob", "review"), ("bob", "release")]
    assert client.get("/audit").status_code == 200 and "Verified:" in client.get("/audit").text


def test_sessions_expire(airlock, tmp_path: Path) -> None:
    out, run_id, _ = airlock
    for settings in ({"idle_seconds": 0.0}, {"absolute_seconds": 0.0}):
        client = app(out, tmp_path / "rel", **settings)
        token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)
        assert client.post("/login", data={"user": "alice", "password": PASSWORD, "login_csrf": token}
                           ).status_code == 303
        assert client.get("/").status_code == 401


def test_a_trusted_header_names_the_user_only_when_configured(airlock, tmp_path: Path) -> None:
    out, run_id, client = airlock
    assert client.get("/", headers={"X-Remote-User": "alice"}).status_code == 401  # off by default
    secret = "s" * 32
    sso = app(out, tmp_path / "rel", trusted_header="X-Remote-User", trusted_proxies=("testclient",),
              proxy_secret=secret)
    proxied = {"X-Remote-User": "ALICE", "X-Extractor-Proxy-Secret": secret}
    page = sso.get("/", headers=proxied)
    assert page.status_code == 200 and "alice" in page.text
    assert sso.get("/").status_code == 401  # the proxy named no one
    assert sso.get("/", headers={**proxied, "X-Remote-User": "carol"}).status_code == 403  # no such account
    assert sso.get("/", headers={**proxied, "X-Extractor-Proxy-Secret": b"\xe9\xe9"}).status_code == 403


def test_a_run_is_compared_with_the_projects_previous_release(airlock, tmp_path: Path) -> None:
    from conftest import TEST_KEY
    from extractor.config.load import load_config
    from extractor.pipeline import run_extract

    out, run_id, client = airlock
    approve_and_release(out, run_id, tmp_path / "released-first")
    cfg = load_config(tmp_path / "world" / "request.toml")
    second = run_extract(cfg, out, TEST_KEY.encode()).run_id
    signed_in(client, "alice")
    page = client.get(f"/runs/{second}").text
    assert run_id in page and "Same as in the project's previous release." in page


def test_compare_shows_each_changed_cell_then_and_now(tmp_path: Path) -> None:
    from extractor.web.preview import compare

    (tmp_path / "a.csv").write_text("region,sex,n\nA,F,10\nA,M,[REDACTED]\nB,F,20\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("region,sex,n\nA,F,15\nA,M,[REDACTED]\nC,F,10\n", encoding="utf-8")
    got = compare(tmp_path / "b.csv", tmp_path / "a.csv", {"counts": ["n"]})
    assert got["keys"] == ["region", "sex"] and got["changed"] == 3
    assert sorted(got["rows"]) == [["A", "F", "10", "15"], ["B", "F", "20", "—"], ["C", "F", "—", "10"]]


def test_parallel_guesses_cannot_all_slip_in_before_the_first_failure_counts() -> None:
    import threading

    from extractor.web.throttle import Throttle

    throttle, granted = Throttle(allowed=5), []
    barrier = threading.Barrier(40)

    def guess() -> None:
        barrier.wait()
        if throttle.begin("account:mallory", "address:10.0.0.1") == 0.0:
            granted.append(1)
            throttle.end(("account:mallory", "address:10.0.0.1"), failed=True)

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) <= 5


def test_a_reviewer_sees_each_cells_own_reason_and_a_requester_only_the_general_one(tmp_path: Path) -> None:
    """The hover of a moved or hidden cell: the exact file's reason for whoever may read the review report,
    the general wording for the requester (a reason such as "threshold" says that a cell is small); and a
    swapped exact file (bytes not those the run recorded) gives no reasons at all."""
    from builders import World, write_world
    from conftest import TEST_KEY
    from extractor.config.load import load_config
    from extractor.pipeline import run_extract

    tasks = ["20"] * 12 + ["10"] * 3
    w = World(clients=[f"P{i}" for i in range(15)],
              documents=[(f"d{i}", f"d{i}", f"P{i}", "R1", t) for i, t in enumerate(tasks)])
    table = ('[[outputs]]\nname = "v"\nquery = "v.sql"\nkind = "table"\ndimensions = ["service_task"]\n'
             'unit = "client_id"\ncounts = ["clients"]\n')
    request = write_world(w, tmp_path / "world", extra_request=table)
    (tmp_path / "world" / "v.sql").write_text("SELECT service_task, client_id FROM documents\n", encoding="utf-8")
    out = tmp_path / "out"
    run_id = run_extract(load_config(request), out, TEST_KEY.encode()).run_id
    accounts(out, "T-1", checkers=("alice",), requesters=("r",))
    client = app(out, tmp_path / "released")
    signed_in(client, "alice")
    page = client.get(f"/runs/{run_id}").text
    assert "threshold: 1 to the threshold records or units" in page  # the 3 clients of task 10
    assert "secondary: protects 10" in page  # its partner on the line
    approve_and_release(out, run_id, tmp_path / "released")
    requester = app(out, tmp_path / "released")
    signed_in(requester, "r")
    page = requester.get(f"/runs/{run_id}").text
    assert "v.csv" in page and "Hidden: a count below the threshold" in page
    assert "threshold: 1 to the threshold" not in page and "secondary: protects" not in page
    exact = next(out.rglob("controller/tables/v.parquet"))
    exact.write_bytes(exact.read_bytes() + b"\0")
    fresh = app(out, tmp_path / "released")
    signed_in(fresh, "alice")
    assert "secondary: protects" not in fresh.get(f"/runs/{run_id}").text


def test_an_unhandled_error_is_a_plain_500_with_every_security_header() -> None:
    """A bug in a page (here: a handler that raises) answers 500 with the same headers as every other page, the
    error's text kept in the server's log, not in the response."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route

    from extractor.web.headers import HEADERS, SecurityHeaders

    def broken(_request: object) -> None:
        raise RuntimeError("secret detail /srv/controller")

    app = Starlette(routes=[Route("/", broken)], middleware=[Middleware(SecurityHeaders)])  # as create_app has it
    client = TestClient(app, raise_server_exceptions=False)
    r = client.get("/")
    assert r.status_code == 500 and r.text == "Internal Server Error"
    for name, value in HEADERS:
        assert r.headers[name.decode()] == value.decode()


def test_a_filter_or_a_page_applies_to_its_own_file_only(airlock) -> None:
    """Every file of a run had one filter and one pager (?filter=, ?page=): filtering one filtered all (from the
    new-user trial). Now the form and the pager links name their file."""
    out, run_id, client = airlock
    signed_in(client, "alice")
    page = client.get(f"/runs/{run_id}").text
    names = re.findall(r'<section class="file" id="file-\d+" data-file="([^"]+)"', page)
    assert len(names) >= 2 and all(f'name="file" value="{n}"' in page for n in names)
    target, other = names[0], names[1]
    filtered = client.get(f"/runs/{run_id}", params={"file": target, "filter": "no such text anywhere"}).text

    def section(html: str, name: str) -> str:
        start = html.index(f'data-file="{name}"')
        end = html.find('<section class="file"', start)
        return html[start:end if end > 0 else len(html)]

    assert section(filtered, target).count("<tr>") < section(page, target).count("<tr>")
    assert section(filtered, other) == section(page, other)  # the other file is shown as before
    assert 'value="no such text anywhere"' in section(filtered, target)
    assert 'value="no such text anywhere"' not in section(filtered, other)


def test_pages_offer_only_what_the_reader_may_do(airlock) -> None:
    """A requester is not shown the audit log's link (it answered 403), and a checker who has decided is not shown
    the decision form again (a second decision is refused) — from the new-user trial."""
    out, run_id, client = airlock
    signed_in(client, "r")
    assert 'href="/audit"' not in client.get("/").text
    client.cookies.clear()
    token = signed_in(client, "alice")
    assert 'href="/audit"' in client.get("/").text
    assert 'action="/runs/' + run_id + '/decide"' in client.get(f"/runs/{run_id}").text
    assert client.post(f"/runs/{run_id}/decide", data={"decision": "approve", "csrf": token}).status_code == 303
    assert 'action="/runs/' + run_id + '/decide"' not in client.get(f"/runs/{run_id}").text
