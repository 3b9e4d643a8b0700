"""The airlock served on loopback for the browser tests (Playwright drives Debian's Chromium against it)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from builders import PASSWORD, accounts, submitted_run
from extractor.web.app import create_app
from extractor.web.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path: Path):
    cfg, out, first = submitted_run(tmp_path, clients=40)
    accounts(out, "T-1", checkers=("alice", "bob"), requesters=("r",))
    port = _free_port()
    config = uvicorn.Config(create_app(Settings(out.resolve(), (tmp_path / "released").resolve())), host="127.0.0.1",
                            port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", out, cfg, first
    srv.should_exit = True
    thread.join(5)


def screenshot_and_axe(page, png: Path, axe, what: str) -> None:
    """Screenshot the page (full length, not blank) and check it with axe-core: 0 serious or critical."""
    page.screenshot(path=str(png), full_page=True)
    assert png.stat().st_size > 8_000, png
    serious = [v["id"] for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{what}: {serious}"


class Visit:
    """One user's browser: sign in, look, screenshot and axe-check every page seen."""

    def __init__(self, browser, base: str, user: str, shots: Path, axe) -> None:
        self.page, self.base, self.user, self.shots, self.axe = browser.new_page(), base, user, shots, axe
        self.seen = 0

    def look(self, what: str) -> str:
        self.seen += 1
        screenshot_and_axe(self.page, self.shots / f"{self.user}-{self.seen:02d}-{what}.png",
                                          self.axe, what)
        return self.page.inner_text("main")

    def sign_in(self) -> str:
        self.page.goto(self.base + "/login")
        self.look("login")
        self.page.fill("#user", self.user)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.signed_in()
        return self.look("queue")

    def signed_in(self) -> None:
        """What changes once signed in (a reader in another language: the account's own)."""

    def decide(self, run_id: str, decision: str, comment: str = "") -> str:
        self.page.goto(f"{self.base}/runs/{run_id}")
        assert "Files for release" in self.look("run")
        self.page.check(f"#{decision}")
        if comment:
            self.page.fill("#comment", comment)
        self.page.click("form[action$='/decide'] button[type=submit]")
        return self.look(f"after-{decision}")
