"""The package keeps the shape the team agreed: small modules, short functions, every package saying what it owns."""

from __future__ import annotations

import ast

from conftest import REPO

PACKAGE = REPO / "extractor"


def test_no_module_over_300_lines_and_no_function_over_60() -> None:
    long_modules, long_functions = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 300:
            long_modules.append(path.relative_to(REPO))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 60:
                long_functions.append(f"{path.relative_to(REPO)}:{node.name}")
    assert long_modules == [] and long_functions == []


def test_every_package_says_what_it_owns() -> None:
    for init in sorted(PACKAGE.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 60, f"{init.relative_to(REPO)} has no docstring saying what the package owns"
