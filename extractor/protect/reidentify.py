"""The controller's way back from pseudonyms to persons: a run's encrypted pseudonym -> person map.

The map is written (encrypted with the project's key) only when a request asks for it, and only to the
run's controller/ folder, never to release/. Decrypting it needs the controller's master key.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from extractor.errors import ExtractorError
from extractor.files import write_private
from extractor.protect.pseudonym import ProjectKey, project_key
from extractor.release.layout import RunFolder
from extractor.release.manifest import Manifest

MAP_FILE = "reidentification_map.csv.fernet"


def write_map(controller: Path, key: ProjectKey, csv_bytes: bytes) -> None:
    """The pseudonym -> person map, encrypted, in the run's controller folder (mode 700, file mode 600)."""
    controller.mkdir(mode=0o700, exist_ok=True)
    write_private(controller / MAP_FILE, Fernet(key.encryption_key()).encrypt(csv_bytes))


def decrypt_map(run_dir: Path, to: Path, master_key: bytes) -> int:
    """Write the decrypted map of a run to `to` (mode 600, must not exist); returns the number of persons."""
    folder = RunFolder(run_dir)
    source = folder.controller / MAP_FILE
    if not source.is_file():
        raise ExtractorError(f"{run_dir}: no re-identification map (request [protection] reidentification_map)")
    manifest = folder.manifest
    if not manifest.is_file():
        raise ExtractorError(f"{run_dir}: no release/manifest.json: not a run folder")
    project = Manifest.read(manifest).project
    if to.exists():
        raise ExtractorError(f"{to}: already exists; choose a new file")
    try:
        plain = Fernet(project_key(master_key, project).encryption_key()).decrypt(source.read_bytes())
    except InvalidToken:
        raise ExtractorError(f"{source}: cannot decrypt with this key (another controller key?)") from None
    write_private(to, plain)
    return plain.count(b"\n") - 1
