"""Keyed pseudonyms: HMAC-SHA256 under a per-project key, computed inside DuckDB, once per distinct value.

The controller's master key (EXTRACTOR_KEY, or a key file readable only by its owner) never leaves this
module: DuckDB only receives the HMAC pads of the derived project key, as query parameters, never in SQL
text. Deriving one key per project makes pseudonyms stable within a project and unlinkable across them;
the domain label (person, document) keeps a person's pseudonym apart from a document's.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import ExtractorError
from extractor.files import write_private

MIN_KEY_BYTES = 32
PSEUDONYM_HEX = 32  # 128 bits: collisions are negligible even for national registries
_BLOCK = 64


@dataclass(frozen=True, repr=False)
class ProjectKey:
    """A derived key; repr() and str() never show it."""

    _key: bytes
    project: str

    def __repr__(self) -> str:
        return f"ProjectKey(project={self.project!r}, key=<hidden>)"

    __str__ = __repr__

    def sql_params(self) -> dict[str, bytes]:
        block = self._key.ljust(_BLOCK, b"\0")
        return {"hmac_ipad": bytes(b ^ 0x36 for b in block), "hmac_opad": bytes(b ^ 0x5C for b in block)}

    def pseudonym(self, domain: str, value: str) -> str:
        """Reference implementation in Python (tests compare the SQL one with it)."""
        return hmac.new(self._key, f"{domain}:{value}".encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]

    def date_shift(self, value: str, max_days: int) -> int:
        """Reference implementation of sql_date_shift."""
        return int(self.pseudonym("date-shift", value)[:12], 16) % (2 * max_days + 1) - max_days

    def encryption_key(self, purpose: str = "reidentification-map") -> bytes:
        """A Fernet key for a controller's file (the re-identification map, the run's persons), derived apart
        from the pseudonym key and from each other."""
        import base64
        return base64.urlsafe_b64encode(hmac.new(self._key, f"extractor/v1/{purpose}".encode(),
                                                 hashlib.sha256).digest())


def sql_date_shift(value_sql: str, max_days: int) -> str:
    """A per-person shift in -max_days..max_days, derived from the key so that it is the same in every
    table and rerun of the project and unpredictable without the key."""
    digest = sql_pseudonym(value_sql, "date-shift")
    return f"(CAST(('0x' || left({digest}, 12)) AS BIGINT) % {2 * max_days + 1} - {max_days})"


def sql_pseudonym(value_sql: str, domain: str) -> str:
    """SQL for HMAC-SHA256(key, domain:value) using the $hmac_ipad/$hmac_opad parameters."""
    inner = f"sha256($hmac_ipad || encode('{domain}:' || CAST({value_sql} AS VARCHAR)))"
    return f"left(sha256($hmac_opad || unhex({inner})), {PSEUDONYM_HEX})"


def load_master_key(key_file: Path | None = None) -> bytes:
    """The key from EXTRACTOR_KEY, else from a key file (argument or EXTRACTOR_KEY_FILE)."""
    env = os.environ.get("EXTRACTOR_KEY")
    if env is not None and key_file is None:
        key = env.encode()
        source = "EXTRACTOR_KEY"
    else:
        path = key_file or (Path(os.environ["EXTRACTOR_KEY_FILE"]) if os.environ.get("EXTRACTOR_KEY_FILE") else None)
        if path is None:
            raise ExtractorError("no pseudonymisation key: set EXTRACTOR_KEY or EXTRACTOR_KEY_FILE, or pass --key-file")
        if not path.is_file():
            raise ExtractorError(f"{path}: key file not found")
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ExtractorError(f"{path}: key file must be readable by its owner only (chmod 600), "
                                 f"it has mode {stat.filemode(mode)}")
        key = path.read_bytes().rstrip(b"\r\n")
        source = str(path)
    if len(key) < MIN_KEY_BYTES:
        raise ExtractorError(f"{source}: the key must be at least {MIN_KEY_BYTES} bytes, it has {len(key)}")
    return key


def project_key(master: bytes, project: str) -> ProjectKey:
    derived = hmac.new(master, f"extractor/v1/project:{project}".encode(), hashlib.sha256).digest()
    return ProjectKey(derived, project)


def write_new_key_file(path: Path) -> None:
    """A fresh random key, created with owner-only permissions from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, os.urandom(32).hex().encode())
