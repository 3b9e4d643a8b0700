"""The DPO report and the notices, rendered in a real headless Chromium: not blank, no identifiers."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import polars as pl
import pytest

from conftest import REPO, TEST_KEY
from extractor import hetu
from extractor.config.load import load_config
from extractor.pipeline import run_extract

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def run_dir(registry: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = load_config(REPO / "examples" / "registry" / "research_request.toml", registry)
    return run_extract(cfg, tmp_path_factory.mktemp("out"), TEST_KEY.encode()).run_dir


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM, "Debian's chromium is needed: `make test` installs it"
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=120)


def _screenshot(page: Path, png: Path) -> None:
    _chromium("--window-size=1200,1800", f"--screenshot={png}", page.as_uri())
    assert png.is_file() and png.stat().st_size > 10_000


def _dom_text(page: Path) -> str:
    return _chromium("--dump-dom", page.as_uri()).stdout


@pytest.mark.parametrize("page", ["review/review.html", "review/review_fi.html", "review/review_sv.html",
                                  "review/codebook_fi.html", "notices/notice_fi.html", "notices/notice_sv.html",
                                  "notices/notice_en.html"])
def test_page_renders_with_content_and_no_identifiers(run_dir: Path, tmp_path: Path, page: str, registry: Path) -> None:
    png = tmp_path / "shot.png"
    _screenshot(run_dir / page, png)
    _assert_not_blank(png)
    dom = _dom_text(run_dir / page)
    assert "<h1" in dom and len(dom) > 2000
    clients = pl.read_parquet(registry / "clients.parquet")
    assert not any(hetu.is_valid(code) and code in dom for code in clients["hetu"].to_list())
    assert TEST_KEY not in dom


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_review_report_prints_to_pdf(run_dir: Path, tmp_path: Path, lang: str) -> None:
    pdf = tmp_path / "review.pdf"
    _chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}",
              (run_dir / "review" / f"review_{lang}.html").as_uri())
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000


def _assert_not_blank(png: Path) -> None:
    """Decode the PNG with the standard library and require many non-white pixels."""
    import struct
    import zlib

    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, bpp = 8, b"", 0, 0, 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            bpp = {2: 3, 6: 4}[color] * depth // 8
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    dark = 0
    prev = bytearray(stride)
    for y in range(height):
        filt, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if filt == 1:
                line[i] = (line[i] + a) & 255
            elif filt == 2:
                line[i] = (line[i] + b) & 255
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        dark += sum(1 for x in range(0, stride, bpp) if line[x] < 128)
        prev = line
    assert dark > width * height * 0.01, "the screenshot is (almost) blank"


def test_notices_print_to_pdf_for_paper(run_dir: Path) -> None:
    from extractor.reports.print_pdf import notices_to_pdf

    pdfs = notices_to_pdf(run_dir)
    assert [p.name for p in pdfs] == ["notice_en.pdf", "notice_fi.pdf", "notice_sv.pdf"]
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 20_000 and b"/Type /Page" in data
