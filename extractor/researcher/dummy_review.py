"""The review report of a try, as the researcher keeps it: marked as made from dummy data, its links mended.

A try's report is the DPO's report run on made-up records. Copied out as it is, it read like a real one
(exact-count warnings, a list of records to destroy) and linked to files a try's folder does not hold.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from extractor import i18n
from extractor.i18n import N_

BANNER = N_("Dummy data: extractor try made this report from made-up records. Its figures say nothing about the "
            "real data, and what it asks of a DPO is for the real run; the same checks run again there.")
_HREF = re.compile(r'href="([^"#]*)"')
_LANG = re.compile(r'<html lang="([a-z]{2})"')


def copy_review(review: Path, out: Path, stamp: str) -> list[str]:
    """review.html, review_<lang>.html and codebook_<lang>.html of a try's run, each with a banner and its
    links pointing at the copies beside it (a file the try does not copy out loses its link)."""
    pages = sorted(p for p in review.glob("*.html") if p.name.startswith(("review", "codebook")))
    names = {p.name for p in pages}
    released = {p.name for p in (review.parent / "release").glob("*") if p.is_file()}
    written = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        found = _LANG.search(text)
        lang = found.group(1) if found else i18n.DEFAULT
        text = _HREF.sub(lambda m: _mended(m.group(1), names, released, stamp), text)
        said = html.escape(i18n.gettext_for(lang)(BANNER))
        banner = f'<p class="box bad" id="dummy-data"><strong>{said}</strong></p>'
        text = re.sub(r"(<body[^>]*>)", lambda m, b=banner: m.group(1) + b, text, count=1)
        (out / f"{stamp}{page.name}").write_text(text, encoding="utf-8")
        written.append(f"{stamp}{page.name}")
    return written


def _mended(href: str, pages: set[str], released: set[str], stamp: str) -> str:
    name = href.rsplit("/", 1)[-1]
    if href in pages:
        return f'href="{stamp}{href}"'
    if href.startswith("../release/") and name in released:
        return f'href="{stamp}{name}"'
    if href.startswith(("http://", "https://", "mailto:")) or not href:
        return f'href="{href}"'
    return 'href="#dummy-data"'  # the controller's lists, notices: not in a try's folder
