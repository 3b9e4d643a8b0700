"""Files shipped with extractor: examples, queries, report templates, the default policy, reference data.

In a wheel they are package data (the top-level `examples/`, `queries/` and `reports/` are mapped into
the package by pyproject.toml), found through importlib.resources, so an installed extractor works from
any folder with nothing beside it. In a source checkout (an editable install) the same names are the
repository's top-level folders.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

MAPPED = ("examples", "queries", "reports")  # top-level folders of the repository, package data in a wheel


def shipped(folder: str, *parts: str) -> Path:
    """The path of a shipped file or folder, e.g. shipped("examples", "registry", "audit_request.toml")."""
    package = Path(str(resources.files("extractor")))
    inside = package.joinpath(folder, *parts)
    if folder not in MAPPED or package.joinpath(folder).is_dir():
        return inside
    return package.parent.joinpath(folder, *parts)  # a source checkout: the repository's own folder
