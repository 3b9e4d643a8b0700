"""The checker shares no code with the pipeline's stages: one bug cannot pass an output and its check together."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

FORBIDDEN = ("extractor.eligibility", "extractor.protect", "extractor.freetext", "extractor.disclosure",
             "extractor.pipeline", "extractor.sources", "extractor.synth")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_checker_imports_no_pipeline_stage() -> None:
    files = sorted((REPO / "extractor" / "checker").glob("*.py"))
    assert len(files) >= 6
    for path in files:
        bad = [m for m in imported_modules(path) if m.startswith(FORBIDDEN)]
        assert bad == [], f"{path.name} imports {bad}"
