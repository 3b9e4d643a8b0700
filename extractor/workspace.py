"""A run's private scratch folder (the sandbox database and DuckDB's spill files), removed when the run ends.

It lives under the output root's `.extractor/work/` (or under --temp-dir), mode 700. The run holds an
exclusive lock on a file inside it for as long as it lives; the kernel drops that lock when the process
dies, even by `kill -9`, so the next run that finds an unlocked folder knows it was left by a killed run
and removes it. Nothing is ever left in the system's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from extractor.files import abandoned, hold
from extractor.release import layout

_PREFIX = "run-"


def remove_abandoned(root: Path) -> list[Path]:
    """Remove the scratch folders of runs that are no longer alive (their lock is free)."""
    removed = []
    if not root.is_dir():
        return removed
    for folder in root.glob(f"{_PREFIX}*"):
        if abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def scratch(out_root: Path, temp_dir: Path | None = None) -> Iterator[Path]:
    """A new locked scratch folder for one run; abandoned ones are cleared first."""
    root = layout.work_root(out_root, temp_dir)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    remove_abandoned(root)
    folder = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=root))  # mkdtemp makes it mode 700
    fd = hold(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)
