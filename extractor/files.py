"""Files written owner-only and never over an existing one, and file hashing: one implementation each."""

from __future__ import annotations

import hashlib
import os
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
