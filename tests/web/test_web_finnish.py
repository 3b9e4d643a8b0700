"""A Finnish-speaking DPO's whole review in Debian's Chromium (Playwright), in Finnish: the queue, a run and
its files, the review report, two decisions, the release and the audit log. Every page is screenshotted,
checked with axe-core (0 serious or critical), read by py3langid paragraph by paragraph, and searched for
the catalog's English sentences; a Swedish reader gets the same pages in Swedish from the browser's
Accept-Language alone."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import airlock_server
import py3langid
import pytest
from babel.messages.pofile import read_po

from builders import accounts
from extractor import i18n
from extractor.release.accounts import set_language
from extractor.release.store import opened

server = airlock_server.server  # the airlock on loopback, shared with the other browser tests
playwright = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is needed: `make test` installs it")


def _english_sentences() -> list[str]:
    with i18n.catalog_path("fi").open("rb") as f:
        return [m.id for m in read_po(f, locale="fi") if m.id and len(m.id) > 20 and "%(" not in m.id
                and m.string != m.id]


class Reader(airlock_server.Visit):
    """One browser, one language: every page looked at is screenshotted, axe-checked and language-checked."""

    def __init__(self, context, base: str, user: str, lang: str, shots: Path, axe, signed_in: str = "") -> None:
        super().__init__(context, base, user, shots, axe)
        self.lang, self.english, self.account_lang = lang, _english_sentences(), signed_in or lang

    def signed_in(self) -> None:
        """The sign-in page in the browser's language, then every page in the account's."""
        self.lang = self.account_lang

    def look(self, what: str) -> str:
        self.seen += 1
        airlock_server.screenshot_and_axe(self.page, self.shots / f"{self.lang}-{self.user}-{self.seen:02d}-{what}.png",
                                          self.axe, what)
        assert self.page.get_attribute("html", "lang") == self.lang, what
        text = html.unescape(re.sub(r"<[^>]+>", " ", self.page.content()))
        assert self.lang == "en" or [e for e in self.english if e in text] == [], what
        blocks = self.page.locator("main p, main li, main h1, main h2, main caption, main legend")
        for block in blocks.all_inner_texts():
            words = re.findall(r"[^\W\d_]{3,}", block)
            if len(words) >= 5 and "@" not in block:
                assert py3langid.classify(block)[0] == self.lang, (what, block)
        return self.page.inner_text("body")


def test_a_finnish_dpo_reviews_and_releases_in_finnish(server, tmp_path: Path) -> None:
    base, out, _cfg, run_id = server
    accounts(out, "T-1", checkers=("aino", "bertta"), requesters=("r",))
    with opened(out) as store:
        for name in ("aino", "bertta"):
            set_language(store, name, "fi")  # the account's own language: no browser setting needed
    shots = tmp_path / "screens"
    shots.mkdir()
    axe = axe_module.Axe()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        aino = Reader(browser.new_context(locale="en-GB"), base, "aino", "en", shots, axe, signed_in="fi")
        assert "Luovutusportin jono" in aino.sign_in()  # signing in: the browser's English; then aino's Finnish
        aino.page.goto(f"{base}/runs/{run_id}")
        text = aino.look("ajo")
        assert "Pienin nollaa suurempi lukumäärä" in text or "Lukumääriä ei näytetä" in text
        assert "excluded:" not in text and "missing_person_key" not in text  # the flow's steps by their labels
        aino.page.click("a[href$='/review/review_fi.html']")
        report = aino.look("tarkastusraportti")
        assert "Mitä luovutetaan" in report and "Ennen kuin päätät" in report
        aino.page.goto(f"{base}/runs/{run_id}")
        aino.page.check("#approve")
        aino.page.click("form[action$='/decide'] button[type=submit]")
        first = aino.look("hyvaksytty")
        assert "hyväksytty" in first.casefold() and "Kunnes molemmat" in first  # blind until the second decides

        bertta = Reader(browser.new_context(), base, "bertta", "en", shots, axe, signed_in="fi")
        bertta.sign_in()
        bertta.page.goto(f"{base}/runs/{run_id}")
        bertta.page.check("#return")  # returned without saying why: refused, with the way back to the run's form
        bertta.page.click("form[action$='/decide'] button[type=submit]")
        refused = bertta.look("palautus-ilman-perustelua")
        assert "Tarkista lomake" in refused and "Kerro syy" in refused
        bertta.page.click(f"a[href='/runs/{run_id}']")
        bertta.page.check("#approve")
        bertta.page.click("form[action$='/decide'] button[type=submit]")
        assert "Kunnes molemmat" not in bertta.look("molemmat-hyvaksyneet")  # both decided: no longer said
        bertta.page.click("form[action$='/release'] button[type=submit]")
        assert "Luovutettu kansioon" in bertta.look("luovutettu")
        bertta.page.goto(base + "/audit")
        audit = bertta.look("tapahtumaloki")
        assert "bertta" in audit and "aino" in audit

        sv = Reader(browser.new_context(locale="sv-FI", extra_http_headers={"Accept-Language": "sv-FI,sv;q=0.9"}),
                    base, "r", "sv", shots, axe)
        assert "Utlämningsportalens kö" in sv.sign_in()
        sv.page.goto(base + "/submissions")
        assert "Dina begäranden" in sv.look("mina-begaranden")
        sv.page.goto(base + "/language/en")  # a page's own language links win over the browser's
        sv.lang = "en"
        assert "Airlock queue" in sv.look("queue-in-english")
        browser.close()
    assert len(list(shots.glob("*.png"))) >= 12
