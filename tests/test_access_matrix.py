"""Who may do what, as a table: every (role, action, run state) triple through access.authorise, and every
(role, route, state) through the web airlock, which must answer exactly as the table says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builders import PASSWORD, accounts, submitted_run
from conftest import TEST_KEY
from extractor.pipeline import run_extract
from extractor.release import access, workflow
from extractor.release.airlock_state import Account, Review, Run
from extractor.release.store import opened

STATES = ("submitted", "approved", "returned", "rejected", "released")
# role -> action -> the answer in each state (one code for all states, or a dict by state)
ANY = {s: 200 for s in STATES}
ONLY = lambda allowed, other: {s: (200 if s in allowed else other) for s in STATES}  # noqa: E731
CHECKER = {"see_run": ANY, "read_report": ANY, "read_file": ANY, "decide": ONLY(("submitted",), 409),
           "release": ONLY(("approved",), 409), "read_audit": ANY}
REQUESTER = {"see_run": ANY, "read_report": 403, "read_file": ONLY(("released",), 403), "decide": 403,
             "release": 403, "read_audit": 403}
TABLE = {
    "signed out": dict.fromkeys(access.ACTIONS, 401),
    "disabled checker": dict.fromkeys(access.ACTIONS, 401),
    "stranger": {**dict.fromkeys(access.ACTIONS, 404), "read_audit": 403},
    "checker of another project": {**dict.fromkeys(access.ACTIONS, 404), "read_audit": 200},
    "requester": REQUESTER,
    "requester and admin": {**REQUESTER, "read_audit": 200},
    "checker": CHECKER,
    "checker of every project": CHECKER,
    "admin": CHECKER,
    "checker with the request's e-mail": {**REQUESTER, "read_audit": 200},  # their own run: a requester's rights
}


def account(role: str) -> Account | None:
    return {
        "signed out": None,
        "disabled checker": Account("d", False, "", "", disabled=True, projects={"P": "checker"}),
        "stranger": Account("s", False, "", ""),
        "checker of another project": Account("o", False, "", "", projects={"Q": "checker"}),
        "requester": Account("r", False, "", "", projects={"P": "requester"}),
        "requester and admin": Account("ra", True, "", "", projects={"P": "requester"}),
        "checker": Account("c", False, "", "", projects={"P": "checker"}),
        "checker of every project": Account("ca", False, "", "", projects={"*": "checker"}),
        "admin": Account("a", True, "", ""),
        "checker with the request's e-mail": Account("ce", False, "Req@Example.org", "", projects={"P": "checker"}),
    }[role]


def run_in(state: str) -> Run:
    run = Run("RUN1", "REQ", "P", "Dr Req", "req@example.org", None, "REQ/RUN1", "2026-01-01T00:00:00+00:00", {})
    decisions = {"approved": ("approve", "approve"), "returned": ("approve", "return"),
                 "rejected": ("reject", "approve"), "released": ("approve", "approve")}.get(state, ())
    run.reviews = [Review(f"x{i}", d, "", "") for i, d in enumerate(decisions)]
    if state == "released":
        run.released_to = "/released/REQ/RUN1"
    assert run.status == state
    return run


def expected(role: str, action: str, state: str) -> int:
    answer = TABLE[role][action]
    return answer[state] if isinstance(answer, dict) else answer


@pytest.mark.parametrize("role", list(TABLE))
@pytest.mark.parametrize("action", access.ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_authorise_follows_the_table(role: str, action: str, state: str) -> None:
    verdict = access.authorise(account(role), action, None if action == "read_audit" else run_in(state))
    assert (200 if verdict else verdict.status) == expected(role, action, state)


def test_a_handed_in_runs_contact_bars_no_checker() -> None:
    """Through the airlock the account that handed the request in is who made it: the contact it writes is its
    own text, so a requester naming a checker's address (in any case) cannot keep that checker from deciding."""
    import dataclasses

    run = dataclasses.replace(run_in("submitted"), submitted_by="r")
    assert access.authorise(account("checker with the request's e-mail"), "decide", run).allowed
    assert not access.authorise(Account("r", False, "", "", projects={"P": "checker"}), "decide", run).allowed


def test_an_account_sharing_the_submitters_e_mail_may_not_decide() -> None:
    """One person's second account: a checker account with the e-mail of the account that handed the request in
    (the controller's record, in any case) is the requester too; the submitter's e-mail changing later counts,
    and a submitter without an e-mail bars no one by it."""
    import dataclasses

    submitter = Account("r", False, "Niko@Example.edu", "", projects={"P": "requester"})
    twin = Account("n2", False, "niko@example.edu ", "", projects={"P": "checker"})
    run = dataclasses.replace(run_in("submitted"), submitted_by="r", submitter=submitter)
    verdict = access.authorise(twin, "decide", run)
    assert verdict.status == 403 and not verdict.allowed
    assert access.authorise(account("checker"), "decide", run).allowed  # no e-mail: not the submitter's
    submitter.email = "other@example.edu"
    assert access.authorise(twin, "decide", run).allowed
    submitter.email = ""
    assert access.authorise(Account("n3", False, "", "", projects={"P": "checker"}), "decide", run).allowed


def test_a_missing_run_is_a_404_for_everyone_signed_in() -> None:
    for role in TABLE:
        if role not in ("signed out", "disabled checker"):
            assert access.authorise(account(role), "see_run", None).status == 404


# ---- the same table through every route of the web airlock -------------------------------------------------

GET_ROUTES = {"see_run": "/runs/{run}", "read_report": "/runs/{run}/review/review_en.html",
              "read_file": "/runs/{run}/files/t.csv", "read_audit": "/audit"}
WEB_ROLES = {"requester": "r", "checker": "alice", "admin": "dora", "stranger": "sam",
             "checker of another project": "olga", "checker with the request's e-mail": "emma"}


@pytest.fixture(scope="module")
def airlock(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("matrix")
    cfg, out, first = submitted_run(tmp)
    accounts(out, "T-1", checkers=("alice", "bob", "emma"), requesters=("r",), admins=("dora",))
    accounts(out, "ELSEWHERE", checkers=("olga",), requesters=())
    from extractor.release.accounts import add_account, set_email

    with opened(out) as store:
        add_account(store, "sam", PASSWORD)  # an account with no part in any project
        set_email(store, "emma", "R@example.org")  # the request's contact: her own run
    runs = {"submitted": first}
    for state in ("approved", "returned", "rejected", "released"):
        run_id = run_extract(cfg, out, TEST_KEY.encode()).run_id
        decisions = {"approved": ("approve", "approve"), "returned": ("approve", "return"),
                     "rejected": ("reject", "approve"), "released": ("approve", "approve")}[state]
        with opened(out) as store:
            for who, decision in zip(("alice", "bob"), decisions, strict=True):
                workflow.decide(store, who, run_id, decision, "why")
            if state == "released":
                workflow.release(store, "alice", run_id, tmp / "released")
        runs[state] = run_id
    return out, tmp / "released", runs


def _client(out: Path, released: Path, user: str):
    from starlette.testclient import TestClient

    from extractor.web.app import create_app
    from extractor.web.settings import Settings

    client = TestClient(create_app(Settings(out.resolve(), released.resolve())), follow_redirects=False)
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"user": user, "password": PASSWORD, "login_csrf": token}).status_code == 303
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
    return client, csrf


@pytest.mark.parametrize("role", list(WEB_ROLES))
def test_every_route_answers_as_the_table_says(airlock, role: str) -> None:
    out, released, runs = airlock
    client, csrf = _client(out, released, WEB_ROLES[role])
    with opened(out) as store:
        before = store.reading().count
    for state, run in runs.items():
        for action, route in GET_ROUTES.items():
            got = client.get(route.format(run=run)).status_code
            assert got == expected(role, action, state), (role, action, state)
        for action in ("decide", "release"):
            want = expected(role, action, state)
            if want == 200:
                continue  # allowed: changes the state; workflow's own tests cover it
            data = {"csrf": csrf, "decision": "approve"}
            assert client.post(f"/runs/{run}/{action}", data=data).status_code == want, (role, action, state)
    with opened(out) as store:
        assert store.reading().count == before  # nothing refused left a record
