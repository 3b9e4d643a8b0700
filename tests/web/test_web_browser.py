"""The whole airlock story in Debian's Chromium (Playwright): two reviewers, a return, a fix, a release.

Each page is screenshotted under the test's folder and checked with axe-core (0 serious or critical
violations), and so are the run's patient notices.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import airlock_server
import pytest

from conftest import TEST_KEY
from extractor.pipeline import run_extract
from extractor.release.layout import RunFolder

server = airlock_server.server  # the airlock on loopback, shared with the other browser tests
playwright = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is needed: `make test` installs it")
def test_two_reviewers_return_then_approve_and_release(server, tmp_path: Path) -> None:
    base, out, cfg, first = server
    shots = tmp_path / "screens"
    shots.mkdir()
    axe = axe_module.Axe()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        alice, bob, requester = (airlock_server.Visit(browser.new_context(), base, u, shots, axe)
                                 for u in ("alice", "bob", "r"))
        for visit in (alice, bob, requester):
            assert "Airlock queue" in visit.sign_in()
        text = alice.decide(first, "approve")
        assert "alice: approve" in text and "bob" not in text  # blind until both decide
        alice.page.goto(base + "/")
        assert "yours given; waiting for the second checker" in alice.look("queue-alice-decided")
        bob.page.goto(base + "/")
        queue = bob.look("queue-bob-to-decide")  # how many decided, never what
        assert "1 of 2" in queue and "a second checker is needed" in queue and "approved" not in queue
        text = bob.decide(first, "return", "Please drop the sex column from the second table.")
        assert "returned" in text and "alice: approve" in text and "Please drop the sex column" in text
        requester.page.goto(f"{base}/runs/{first}")
        text = requester.look("returned-run")
        assert "returned" in text and "You made this request" in text and "Please drop the sex column" in text

        second = run_extract(cfg, out, TEST_KEY.encode())  # the requester's fixed request, run again
        requester.page.goto(base + "/")
        assert second.run_id in requester.look("queue-after-fix")
        alice.decide(second.run_id, "approve")
        text = bob.decide(second.run_id, "approve")
        assert "approved" in text
        bob.page.click("form[action$='/release'] button[type=submit]")
        assert "Released to" in bob.look("released")
        bob.page.goto(base + "/audit")
        audit = bob.look("audit")
        assert "Verified:" in audit and "release" in audit and "bob" in audit

        for lang in ("fi", "sv", "en"):  # the run's patient notices pass axe too
            notice = RunFolder(second.run_dir).notices / f"notice_{lang}.html"
            requester.page.goto(notice.as_uri())
            requester.look(f"notice-{lang}") if requester.page.query_selector("main") else _axe_only(
                requester, axe, lang)
        browser.close()
    assert len(list(shots.glob("*.png"))) >= 15


def _axe_only(visit: airlock_server.Visit, axe, lang: str) -> None:
    png = visit.shots / f"notice-{lang}.png"
    visit.page.screenshot(path=str(png), full_page=True)
    assert png.stat().st_size > 8_000
    serious = [v["id"] for v in axe.run(visit.page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], f"notice_{lang}: {serious}"


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is needed: `make test` installs it")
def test_a_requester_hands_in_a_request_follows_it_and_downloads_the_release(server, tmp_path: Path) -> None:
    """The researcher's whole road in the browser: hand in, the runner runs, two checkers approve, download."""
    from builders import GRANTED
    from extractor.config.permits import load_permits
    from extractor.machine import resolve
    from extractor.release.runner import serve

    base, out, cfg, _first = server
    shots = tmp_path / "screens"
    shots.mkdir()
    axe = axe_module.Axe()
    request = cfg.request.path
    query = cfg.request.outputs[0].query
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        alice, bob, requester = (airlock_server.Visit(browser.new_context(accept_downloads=True), base, u, shots, axe)
                                 for u in ("alice", "bob", "r"))
        for visit in (alice, bob, requester):
            assert "Airlock queue" in visit.sign_in()
        requester.page.goto(base + "/submit")
        requester.look("hand-in-form")
        requester.page.fill("#request", request.read_text())
        requester.page.fill("#q1_name", query.name)
        requester.page.fill("#q1_sql", query.read_text())
        requester.page.click("form[action='/submit/send'] button[type=submit]")
        assert "waiting" in requester.look("handed-in")

        recorded = tmp_path / "permits.toml"
        recorded.write_text(f'[permits."P-1"]\nproject = "T-1"\ngranted_on = {GRANTED}\npurposes = ["research"]\n')
        serve(out, cfg.catalog.path, None, None, TEST_KEY.encode(), resolve(), load_permits(recorded), once=True,
              report=lambda _: None)
        requester.page.goto(base + "/submissions")
        text = requester.look("ran")
        assert "submitted" in text
        run_id = requester.page.get_attribute("a[href^='/runs/']", "href").rsplit("/", 1)[1]
        alice.decide(run_id, "approve")
        assert "approved" in bob.decide(run_id, "approve")
        bob.page.click("form[action$='/release'] button[type=submit]")
        assert "Released to" in bob.look("released")

        requester.page.goto(base + "/submissions")
        assert "released" in requester.look("released-for-me")
        with requester.page.expect_download() as download:
            requester.page.click(f"a[href='/runs/{run_id}/files/t.csv']")
        saved = tmp_path / "t.csv"
        download.value.save_as(saved)
        assert saved.read_text().startswith("service_task")
        browser.close()
