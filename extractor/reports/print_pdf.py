"""Print-ready PDFs of a run's notices, for paper distribution, through Chromium's own print to PDF.

Chromium is not needed to run an extract; only this command needs it (Debian's `chromium`, found on
PATH or named by EXTRACTOR_CHROMIUM). Pages print with the templates' print style (no header or footer).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from extractor.errors import ExtractorError
from extractor.release.layout import RunFolder

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run")


def chromium() -> str:
    found = os.environ.get("EXTRACTOR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise ExtractorError("chromium not found: install Debian's chromium or set EXTRACTOR_CHROMIUM")
    return found


def notices_to_pdf(run_dir: Path) -> list[Path]:
    folder = RunFolder(run_dir).notices
    pages = sorted(folder.glob("notice_*.html"))
    if not pages:
        raise ExtractorError(f"{run_dir}: no notices in {folder}")
    browser, out = chromium(), []
    for page in pages:
        pdf = page.with_suffix(".pdf")
        with tempfile.TemporaryDirectory() as profile:
            done = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
                                   page.resolve().as_uri()], capture_output=True, text=True, timeout=120)
        if done.returncode != 0 or not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
            raise ExtractorError(f"{page}: chromium could not print it to PDF (exit {done.returncode})")
        out.append(pdf)
    return out
