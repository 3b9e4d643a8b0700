"""Attacks on who may see and do what in the web airlock, each refused with the store, the log and every
file unchanged (issue: the airlock holds against a requester, a forged header, odd names and links)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from adversarial.airlock_world import SECRET, make_world, sign_in

from builders import PASSWORD
from extractor.release import workflow
from extractor.release.store import opened


@pytest.fixture()
def world(tmp_path: Path):
    return make_world(tmp_path)


def test_a_requester_sees_only_their_own_projects_runs_and_never_an_unreleased_file(world) -> None:
    before = world.snapshot()
    tuuli = world.client()
    sign_in(tuuli, "tuuli")
    mine, theirs = world.runs["T-1"], world.runs["OTHER"]
    queue = tuuli.get("/").text
    assert mine in queue and theirs not in queue
    assert tuuli.get(f"/runs/{theirs}").status_code == 404  # not even its existence
    assert tuuli.get(f"/runs/{theirs}/review").status_code == 404
    assert tuuli.get(f"/runs/{theirs}/files/t.csv").status_code == 404
    page = tuuli.get(f"/runs/{mine}")
    assert page.status_code == 200 and "review report" not in page.text and "t.csv" not in page.text
    assert tuuli.get(f"/runs/{mine}/review").status_code == 403  # exact counts: checkers only
    assert tuuli.get(f"/runs/{mine}/files/t.csv").status_code == 403  # nobody has approved it
    assert tuuli.get("/audit").status_code == 403
    assert world.snapshot() == before


def test_a_requester_downloads_their_projects_files_once_released(world) -> None:
    mine = world.runs["T-1"]
    with opened(world.out) as store:
        workflow.decide(store, "alice", mine, "approve")
        workflow.decide(store, "bob", mine, "approve")
        workflow.release(store, "alice", mine, world.released)
    tuuli = world.client()
    sign_in(tuuli, "tuuli")
    got = tuuli.get(f"/runs/{mine}/files/t.csv")
    assert got.status_code == 200 and got.text.startswith("service_task")
    assert tuuli.get(f"/runs/{mine}/review").status_code == 403  # still not the review report
    olli = world.client()
    sign_in(olli, "olli")
    assert olli.get(f"/runs/{mine}/files/t.csv").status_code == 404  # another project's requester


def test_self_review_is_decided_by_account_identity_never_by_display_name(world) -> None:
    mine, theirs = world.runs["T-1"], world.runs["OTHER"]
    before = world.snapshot()
    tuuli = world.client()
    csrf = sign_in(tuuli, "tuuli")
    assert tuuli.post(f"/runs/{mine}/decide", data={"decision": "approve", "csrf": csrf}).status_code == 403
    assert world.snapshot() == before
    # a checker account that shares the requester's display name, on a run another account handed in: allowed
    from extractor.release.accounts import add_account, grant

    with opened(world.out) as store:
        add_account(store, "tuuli.tutkija", PASSWORD)
        grant(store, "tuuli.tutkija", "OTHER", "checker")
    checker = world.client()
    csrf = sign_in(checker, "Tuuli.Tutkija")
    assert checker.post(f"/runs/{theirs}/decide", data={"decision": "approve", "csrf": csrf}).status_code == 303


def test_a_forged_user_header_is_refused(world) -> None:
    run = world.runs["T-1"]
    before = world.snapshot()
    sso = world.client(trusted_header="X-Remote-User", trusted_proxies=("10.9.9.9",), proxy_secret=SECRET)
    for headers in ({"X-Remote-User": "alice"},  # straight to the airlock, not from the proxy
                    {"X-Remote-User": "alice", "X-Extractor-Proxy-Secret": SECRET}):  # secret leaked, wrong peer
        assert sso.get("/", headers=headers).status_code == 403
        assert sso.post(f"/runs/{run}/decide", headers=headers, data={"decision": "approve"}).status_code == 403
    proxied = world.client(trusted_header="X-Remote-User", trusted_proxies=("testclient",), proxy_secret=SECRET)
    assert proxied.get("/", headers={"X-Remote-User": "alice", "X-Extractor-Proxy-Secret": "guess"}).status_code == 403
    for invented in (b"mallory", b"admin", b"root", "ALİCE".encode(), b"alice\xff", b"al ice"):
        assert proxied.get("/", headers={b"X-Remote-User": invented, b"X-Extractor-Proxy-Secret": SECRET.encode()}
                           ).status_code == 403, invented
    assert world.snapshot() == before
    assert world.client().get("/", headers={"Host": "evil.example"}).status_code == 400  # Host not configured


def test_a_name_in_two_cases_is_one_reviewer(world) -> None:
    run = world.runs["T-1"]
    proxied = world.client(trusted_header="X-Remote-User", trusted_proxies=("testclient",), proxy_secret=SECRET)
    as_upper = {"X-Remote-User": "Alice", "X-Extractor-Proxy-Secret": SECRET}
    page = proxied.get(f"/runs/{run}", headers=as_upper).text
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert proxied.post(f"/runs/{run}/decide", headers=as_upper, data={"decision": "approve", "csrf": csrf}
                        ).status_code == 303
    as_lower = {**as_upper, "X-Remote-User": " alice "}
    assert proxied.post(f"/runs/{run}/decide", headers=as_lower, data={"decision": "approve", "csrf": csrf}
                        ).status_code == 409  # the same account has decided
    with opened(world.out) as store:
        assert [r.reviewer for r in store.reading().run(run).reviews] == ["alice"]


def test_a_requester_name_in_the_user_header_gets_the_requesters_rights_only(world) -> None:
    run = world.runs["T-1"]
    before = world.snapshot()
    proxied = world.client(trusted_header="X-Remote-User", trusted_proxies=("testclient",), proxy_secret=SECRET)
    headers = {"X-Remote-User": "tuuli", "X-Extractor-Proxy-Secret": SECRET}
    assert proxied.get(f"/runs/{run}/review", headers=headers).status_code == 403
    page = proxied.get(f"/runs/{run}", headers=headers)
    assert 'action="/runs/' not in page.text  # no decision or release form
    assert world.snapshot() == before


def test_links_planted_in_a_run_folder_serve_nothing(world) -> None:
    run = world.runs["T-1"]
    folder = world.out / "T-1" / run
    (folder / "release" / "x.csv").symlink_to("/etc/passwd")
    (folder / "review" / "review.html").unlink()
    (folder / "review" / "review.html").symlink_to("/etc/passwd")
    os.mkfifo(folder / "release" / "pipe.csv")
    alice = world.client()
    sign_in(alice, "alice")
    for path in (f"/runs/{run}/files/x.csv", f"/runs/{run}/review/review.html", f"/runs/{run}/files/pipe.csv"):
        response = alice.get(path)
        assert response.status_code == 404 and "root:" not in response.text, path
    page = alice.get(f"/runs/{run}")
    assert page.status_code == 200 and "root:x:0" not in page.text and "<h3>x.csv" not in page.text
    assert "not a regular file" in page.text  # the output check names the planted entries
    with opened(world.out) as store:
        workflow.decide(store, "alice", run, "approve")
        workflow.decide(store, "bob", run, "approve")
        with pytest.raises(workflow.Refused, match="not a regular file"):
            workflow.release(store, "alice", run, world.released)
    assert not world.released.exists() or not any(world.released.rglob("*.csv"))


def test_odd_names_are_answered_400_or_404_never_500(world) -> None:
    run = world.runs["T-1"]
    alice = world.client()
    sign_in(alice, "alice")
    for path in (f"/runs/{'x' * 5000}", "/runs/%00", f"/runs/{run}/files/%00", f"/runs/{run}/files/{'a' * 5000}.csv",
                 f"/runs/{run}/files/..%2F..%2F.extractor%2Fstate.sqlite", "/runs/%F0%9F%92%A5",
                 f"/runs/{run}?page=-1", f"/runs/{run}?page=%00", "/audit?before=abc", f"/runs/{run}/files/.lock"):
        status = alice.get(path).status_code
        assert status in (200, 400, 404), (path, status)
    assert alice.post(f"/runs/{'x' * 5000}/decide", data={"decision": "approve", "csrf": "x"}).status_code in (403, 404)
    assert alice.post("/login", content=b"\x00" * 100, headers={"content-type": "application/x-www-form-urlencoded"}
                      ).status_code in (400, 403)


def test_a_changed_table_is_shown_then_and_now_to_the_checker(world, tmp_path: Path) -> None:
    """The differencing view renders (it crashed with a 500 when a table differed from the last release)."""
    from builders import approve_and_release
    from conftest import TEST_KEY
    from extractor.config.load import load_config
    from extractor.pipeline import run_extract

    first = world.runs["T-1"]
    approve_and_release(world.out, first, tmp_path / "released-first")
    request = world.folder / "world-T-1"
    import polars as pl

    docs = pl.read_parquet(request / "documents.parquet")
    pl.concat([docs, docs.head(30).with_columns(pl.col("doc_id") + "x", pl.col("original_oid") + "x")]) \
        .write_parquet(request / "documents.parquet")
    second = run_extract(load_config(request / "request.toml"), world.out, TEST_KEY.encode()).run_id
    alice = world.client()
    sign_in(alice, "alice")
    page = alice.get(f"/runs/{second}")
    assert page.status_code == 200 and "row(s) differ" in page.text


def test_a_user_header_sent_twice_is_refused(world) -> None:
    proxied = world.client(trusted_header="X-Remote-User", trusted_proxies=("testclient",), proxy_secret=SECRET)
    headers = [("X-Remote-User", "tuuli"), ("X-Remote-User", "alice"), ("X-Extractor-Proxy-Secret", SECRET)]
    assert proxied.get("/", headers=headers).status_code == 403


def test_a_new_password_ends_the_accounts_sessions(world) -> None:
    client = world.client()
    sign_in(client, "alice")
    assert client.get("/").status_code == 200
    from extractor.release.accounts import set_password

    with opened(world.out) as store:
        set_password(store, "alice", "a brand new password")
    assert client.get("/").status_code == 401


def test_a_session_from_before_a_disable_does_not_come_back_with_the_enable(world) -> None:
    """A session taken before `users disable` and not used while disabled answered 200 after the enable: a
    stolen session outlived the disable meant to stop it."""
    from extractor.release.accounts import set_disabled

    client, fresh = world.client(), world.client()
    sign_in(client, "alice")
    with opened(world.out) as store:
        set_disabled(store, "alice", True)
        set_disabled(store, "alice", False)
    assert client.get("/").status_code == 401
    sign_in(fresh, "alice")  # signing in again works
    assert fresh.get("/").status_code == 200


def test_a_chunked_form_cannot_pass_the_size_limit(world) -> None:
    run = world.runs["T-1"]
    alice = world.client()
    csrf = sign_in(alice, "alice")
    body = f"decision=return&csrf={csrf}&comment=".encode() + b"x" * 200_000

    def chunks():
        for i in range(0, len(body), 4096):
            yield body[i:i + 4096]

    response = alice.post(f"/runs/{run}/decide", content=chunks(),
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    with opened(world.out) as store:
        assert store.reading().run(run).reviews == []


def test_the_audit_log_keeps_review_blind_until_both_have_decided(world) -> None:
    """The audit page said `bob: rejected` to alice before she decided: the run page's promise broken."""
    run = world.runs["T-1"]
    with opened(world.out) as store:
        workflow.decide(store, "bob", run, "reject", "No.")
    alice, bob = world.client(), world.client()
    sign_in(alice, "alice")
    sign_in(bob, "bob")
    assert "rejected" not in alice.get("/audit").text  # bob's decision, not yet hers to see
    assert "rejected" in bob.get("/audit").text  # his own
    with opened(world.out) as store:
        workflow.decide(store, "alice", run, "approve")
    page = alice.get("/audit").text
    assert "rejected" in page and "approved" in page  # both decided: both shown


def test_checkers_see_the_account_that_handed_a_run_in_not_only_the_name_it_typed(world) -> None:
    """The requester's name and contact are what the request says; the account is who signed in and sent it."""
    run = world.runs["T-1"]
    client = world.client()
    sign_in(client, "alice")
    page = client.get(f"/runs/{run}").text
    assert "Dr Tuuli Tutkija" in page and "handed in by the account tuuli" in page
    assert "account tuuli" in client.get("/").text
