"""The audit log's signing key (Ed25519), kept apart from the pseudonymisation key.

Why a signature and not only a hash chain: anyone with write access to the store can recompute every
hash after an edit; they cannot sign the new head without this key. Why Ed25519 (`cryptography`): a
verifier needs only the public key, so a researcher holding a release receipt or a reader of a yearly
notice can check it too. The private key comes from EXTRACTOR_AUDIT_KEY_FILE (a file readable only by
its owner: put it where the operators who can edit the store cannot read it), else it is created once
as OUT/.extractor/audit_signing.key (mode 600). Its public key is written into the log's first record
and into every witness, so a log re-signed with another key no longer matches its witnesses.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from extractor.errors import ExtractorError
from extractor.files import write_private
from extractor.release import layout


def public_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def fingerprint(public: str) -> str:
    """A short name for a public key, printed beside every witness."""
    return hashlib.sha256(base64.b64decode(public)).hexdigest()[:16]


def verifies(public: str, message: str, signature: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public))
        key.verify(base64.b64decode(signature), message.encode())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey

    @property
    def public(self) -> str:
        return public_text(self.key.public_key())

    def sign(self, message: str) -> str:
        return base64.b64encode(self.key.sign(message.encode())).decode()


def key_path(out_root: Path) -> Path:
    given = os.environ.get("EXTRACTOR_AUDIT_KEY_FILE")
    return Path(given) if given else out_root / layout.AUDIT_KEY


def load_signer(out_root: Path, create: bool = True) -> Signer:
    """The signing key; created (mode 600) at the default place on first use when `create`."""
    path = key_path(out_root)
    if not path.exists():
        if not create or os.environ.get("EXTRACTOR_AUDIT_KEY_FILE"):
            raise ExtractorError(f"{path}: no audit signing key here (EXTRACTOR_AUDIT_KEY_FILE or "
                                 f"{layout.AUDIT_KEY}); the audit log cannot be appended to")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption())
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        write_private(tmp, pem)
        try:
            os.link(tmp, path)  # whole or not at all; another process may have made it first: use theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ExtractorError(f"{path}: the audit signing key must be readable by its owner only (chmod 600)")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise ExtractorError(f"{path}: not an Ed25519 private key in PEM") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ExtractorError(f"{path}: not an Ed25519 private key in PEM")
    return Signer(key)
