"""The one way from a name to SQL: the rule a name must follow, and the quoting of identifiers and literals.

Names of tables and columns come from catalogs and requests, that is from people: they are validated against
NAME_RULE when the TOML is read (one line naming the file and key otherwise) and are only ever pasted into SQL
through quote_ident, which makes any text a single identifier. Text values go through quote_literal.
"""

from __future__ import annotations

import re

NAME_RULE = ("a name of 1 to 255 characters without control characters, not '*' and not of the form ^…$ "
             "(names are always quoted in SQL; Polars reads those two as patterns)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_name(text: object) -> bool:
    return (isinstance(text, str) and 0 < len(text) <= 255 and text.strip() != "" and not _CONTROL.search(text)
            and text != "*" and not (text.startswith("^") and text.endswith("$")))


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
