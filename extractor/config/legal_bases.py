"""Legal bases by id, with their names in Finnish, Swedish and English (data/legal_bases.toml).

A request cites its legal basis by id (`legal_basis = "ehds-53-1-e"`, or a list of ids), so that the
patient notice names it in the reader's language as the act itself does; free text stays possible
(`{ fi = …, sv = …, en = … }`, or a single string where no notice needs it in another language).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from typing import Any

from extractor.shipped import shipped

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


@cache
def registry() -> dict[str, dict[str, str]]:
    with shipped("data", "legal_bases.toml").open("rb") as fh:
        return tomllib.load(fh)


def resolve(value: Any) -> tuple[dict[str, str] | None, str | None]:
    """(texts per language, or None) and the problem, if any: an unknown id, a malformed value."""
    ids = value if isinstance(value, list) else [value] if isinstance(value, str) and _ID.match(value) else None
    if ids is not None:
        if not ids or not all(isinstance(i, str) for i in ids):
            return None, "a basis id or a list of ids"
        unknown = [i for i in ids if i not in registry()]
        if unknown:
            return None, f"a known basis id ({', '.join(registry())}), not {unknown[0]!r}"
        return {lang: "; ".join(registry()[i][lang] for i in ids) for lang in ("fi", "sv", "en")}, None
    return None, None
