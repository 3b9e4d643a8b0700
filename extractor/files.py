"""Files written owner-only and never over an existing one, file hashing, folder locks and reading regular files
only: one implementation each."""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Create `path` with mode 600 from the first byte (keys, re-identification maps); refuse to overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB pieces so that a large source file is not held in memory."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_files_meanwhile(paths: list[Path]) -> Callable[[], dict[str, str]]:
    """Hash files in a thread while the caller goes on (hashlib lets go of the GIL, so a run's stages and
    the hashing of its gigabyte of inputs overlap); the returned function waits and gives name -> hex, or
    raises what the hashing raised."""
    hashes: dict[str, str] = {}
    failed: list[BaseException] = []

    def work() -> None:
        try:
            for p in paths:
                if p.is_file():
                    hashes[p.name] = sha256_file(p)
        except OSError as exc:
            failed.append(exc)

    thread = threading.Thread(target=work, name="input-hashes", daemon=True)
    thread.start()

    def result() -> dict[str, str]:
        thread.join()
        if failed:
            raise failed[0]
        return hashes
    return result


FOLDER_LOCK = ".lock"


def hold(folder: Path) -> int:
    """Take the lock that says a live process owns `folder` (one just made); the kernel drops it when the
    process dies, even by kill -9. Keep the returned descriptor open for as long as the folder is in use. The
    lock file is taken under another name and then renamed into place, so another process tidying up never
    finds it free between its creation and its lock (and removes a folder in use: a parallel release's 500)."""
    staged = folder / f"{FOLDER_LOCK}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(staged, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.replace(staged, folder / FOLDER_LOCK)  # seen only once held: never a free lock to judge abandoned
    return fd


def abandoned(folder: Path, grace_seconds: float = 60.0) -> bool:
    """True when no live process owns `folder`: its lock is free, or it never took one and is old."""
    try:
        fd = os.open(folder / FOLDER_LOCK, os.O_RDWR)
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > grace_seconds
        except OSError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def regular_files(folder: Path) -> list[Path]:
    """The regular files directly in `folder`, by name; a symbolic link or any other kind of entry is
    never among them (a link planted in a run folder must not serve its target)."""
    if folder.is_symlink() or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if stat.S_ISREG(p.lstat().st_mode))


def read_regular(path: Path) -> bytes:
    """A file's bytes, refusing a symbolic link (O_NOFOLLOW) or anything but a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path.name}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)


def without_links(root: Path, path: Path) -> Path:
    """`path`, checked to lie under `root` with no symbolic link on the way (a run folder, its review/ folder
    or a file in it replaced by a link would otherwise be followed); raises OSError otherwise."""
    relative = path.relative_to(root)
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise OSError(f"{relative.as_posix()}: a symbolic link where a folder or file of the run should be")
    return path
