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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from extractor.files import FOLDER_LOCK, abandoned, hold
from extractor.release import layout

_PREFIX = "run-"
_REMOVING: list[threading.Thread] = []  # scratch folders this process is removing


def finish_removals() -> None:
    """Wait until every scratch folder this process let go of is gone (a run returns only after this)."""
    while _REMOVING:
        _REMOVING.pop().join()


def _remove(folder: Path, fd: int) -> None:
    """The lock file goes last: a process killed half-way leaves a folder that the next run sees abandoned."""
    try:
        for part in folder.iterdir():
            if part.is_dir() and not part.is_symlink():
                shutil.rmtree(part, ignore_errors=True)
            elif part.name != FOLDER_LOCK:
                part.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(fd)


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
    finally:  # removed beside the stages that follow (unlinking a fresh sandbox file can take a while);
        # a non-daemon thread, so the interpreter waits for it even if nobody calls finish_removals()
        remover = threading.Thread(target=_remove, args=(folder, fd), name="scratch-removal")
        remover.start()
        _REMOVING.append(remover)
