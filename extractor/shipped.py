"""Files shipped with extractor: examples, queries, report templates, the default policy, reference data.

In a wheel they are package data (the top-level `examples/`, `queries/` and `reports/` are mapped into
the package by pyproject.toml), found through importlib.resources, so an installed extractor works from
any folder with nothing beside it. In a source checkout (an editable install) the same names are the
repository's top-level folders.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# Top-level folders of the repository and where a wheel puts them inside the package (the report templates
# go under the reports package, whose code reads them).
MAPPED = {"examples": ("examples",), "queries": ("queries",), "reports": ("reports", "templates")}


def shipped(folder: str, *parts: str) -> Path:
    """The path of a shipped file or folder, e.g. shipped("examples", "registry", "audit_request.toml")."""
    package = Path(str(resources.files("extractor")))
    if folder not in MAPPED:
        return package.joinpath(folder, *parts)
    inside = package.joinpath(*MAPPED[folder])
    if inside.is_dir():
        return inside.joinpath(*parts)
    return package.parent.joinpath(folder, *parts)  # a source checkout: the repository's own folder
