"""Helpers for the adversarial suite: run a shipped request, or a hostile variant of it, end to end."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, TEST_KEY
from extractor.config.load import load_config
from extractor.pipeline import run_extract

EXAMPLES = REPO / "examples" / "registry"


def request_copy(name: str, folder: Path, edit: dict[str, str] | None = None) -> Path:
    """A shipped request written into `folder` with absolute paths (and any text replaced)."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    text = text.replace('catalog = "catalog.toml"', f'catalog = "{EXAMPLES / "catalog.toml"}"')
    text = text.replace('query = "../../queries/', f'query = "{REPO / "queries"}/')
    for old, new in (edit or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run(request: Path, registry: Path, out: Path) -> Path:
    """Run a request; the release folder."""
    return run_extract(load_config(request, registry), out, TEST_KEY.encode()).release_dir
