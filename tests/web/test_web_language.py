"""The airlock's language and the review folder's pages: the reader's choice, the account's, the browser's;
a language the airlock does not speak is refused, not remembered; the links between the report, codebook
and notices work for a checker and give a requester nothing; controller files are named, never served."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_web_security import app, signed_in

from builders import accounts, submitted_run
from extractor.release.accounts import set_language
from extractor.release.store import opened


@pytest.fixture()
def airlock(tmp_path: Path):
    _, out, run_id = submitted_run(tmp_path)
    accounts(out, "T-1", checkers=("alice", "aino"), requesters=("r",))
    with opened(out) as store:
        set_language(store, "aino", "fi")
    return out, run_id, tmp_path / "released"


@pytest.mark.parametrize(("user", "headers", "cookie", "expected"), [
    ("alice", {}, None, "Airlock queue"),
    ("alice", {"Accept-Language": "sv-FI,sv;q=0.9"}, None, "Utlämningsportalens kö"),
    ("aino", {"Accept-Language": "sv"}, None, "Luovutusportin jono"),  # the account's own beats the browser's
    ("aino", {}, "en", "Airlock queue"),  # the reader's choice on a page beats the account's
    ("alice", {"Accept-Language": "de, fi;q=0.5"}, None, "Luovutusportin jono"),
])
def test_the_queue_speaks_the_readers_language(airlock, user, headers, cookie, expected: str) -> None:
    out, _run_id, released = airlock
    client = app(out, released)
    signed_in(client, user)
    if cookie:
        client.cookies.set("extractor_lang", cookie)
    page = client.get("/", headers=headers)
    assert expected in page.text and page.headers["content-language"] in ("fi", "sv", "en")


def test_a_language_link_comes_back_to_the_page_and_an_unknown_one_is_refused(airlock) -> None:
    out, run_id, released = airlock
    client = app(out, released)
    signed_in(client, "alice")
    answer = client.get(f"/language/fi?back=/runs/{run_id}")
    assert answer.status_code == 303 and answer.headers["location"] == f"/runs/{run_id}"
    assert "Luovutettavat tiedostot" in client.get(f"/runs/{run_id}").text
    for back in ("https://evil.example/", "//evil.example/x", "/\\evil"):
        assert client.get(f"/language/sv?back={back}").headers["location"] == "/"
    refused = client.get("/language/de")
    assert refused.status_code == 404 and "extractor_lang" not in refused.headers.get("set-cookie", "")


def test_the_review_folder_links_work_for_a_checker_and_give_a_requester_nothing(airlock) -> None:
    out, run_id, released = airlock
    alice, requester = app(out, released), app(out, released)
    signed_in(alice, "alice")
    signed_in(requester, "r")
    report = alice.get(f"/runs/{run_id}/review/review_fi.html")
    assert report.status_code == 200 and "Mitä luovutetaan" in report.text
    for link in ("codebook_fi.html", "../notices/notice_fi.html", "../release/t.csv", "review_sv.html"):
        page = alice.get(f"/runs/{run_id}/review/{link}")
        assert page.status_code == 200, link
        assert requester.get(f"/runs/{run_id}/review/{link}").status_code in (403, 404), link
    for odd in ("REVIEW_FI.HTML", "review_de.html", "%00", "review.html.bak"):
        assert alice.get(f"/runs/{run_id}/review/{odd}").status_code == 404, odd
    named = alice.get(f"/runs/{run_id}/controller/persons.parquet.fernet")
    assert named.status_code == 403 and "controller/persons.parquet.fernet" in named.text \
        and "gAAAA" not in named.text
    assert alice.get(f"/runs/{run_id}/controller/made-up.csv").status_code == 404  # never a false location


def test_a_missing_page_and_a_missing_run_are_said_as_such_in_the_readers_language(airlock) -> None:
    """An address no route answers was Starlette's plain English 'Not Found'; a missing run was headed 'Refused'."""
    out, _, released = airlock
    client = app(out, released)
    got = client.get("/nope", headers={"accept-language": "fi"})
    assert got.status_code == 404 and "Sivua ei ole." in got.text and "<h1>Ei löydy</h1>" in got.text
    assert "content-security-policy" in got.headers  # the airlock's own page, with its headers
    signed_in(client, "alice")
    got = client.get("/runs/nope", headers={"accept-language": "sv"})
    assert got.status_code == 404 and "<h1>Hittades inte</h1>" in got.text
