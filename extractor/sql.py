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


# Characters that show nothing: ASCII whitespace and controls, and Unicode's spaces (no-break, en, em, thin,
# ideographic…), zero-width space and byte-order mark. A key made only of them names no one.
BLANKS = "".join(map(chr, [*range(0x01, 0x21), 0x7F, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200C), 0x2028, 0x2029,
                           0x202F, 0x205F, 0x3000, 0xFEFF]))


def is_blank_sql(text: str) -> str:
    """SQL true when the VARCHAR `text` is empty or holds only BLANKS (DuckDB's dialect; SQLGlot carries it to
    Spark). A blank key starts below '!' or at U+0085 and above, which the file's statistics can answer for
    whole row groups before any row's characters are looked at. NULL gives false: callers test IS NULL."""
    return (f"CASE WHEN {text} < '!' OR {text} >= {quote_literal(chr(0x85))} "  # CASE: translate only where it may
            f"THEN translate({text}, {quote_literal(BLANKS)}, '') = '' ELSE false END")
