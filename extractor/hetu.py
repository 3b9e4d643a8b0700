"""Finnish personal identity code (henkilötunnus, HETU): check characters and a vectorised generator.

DDMMYY + century sign + individual number ZZZ + check character, where the check character is
CHECK_CHARS[int(DDMMYYZZZ) % 31]. Century signs since 1 January 2023: '+' 1800s; '-', Y, X, W, V, U
1900s; A, B, C, D, E, F 2000s. ZZZ 002-899 are ordinary (odd for men, even for women), 900-999 temporary.
"""

from __future__ import annotations

import re

import polars as pl

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY_SIGNS = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}
# One regex for all valid shapes; the check character is verified separately.
PATTERN = r"\b(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])(\d\d)([-+ABCDEFUVWXY])(\d\d\d)([0-9ABCDEFHJKLMNPRSTUVWXY])\b"
_RE = re.compile(PATTERN)


def check_char(ddmmyy: str, zzz: str) -> str:
    return CHECK_CHARS[int(ddmmyy + zzz) % 31]


def is_valid(code: str) -> bool:
    """Shape, century sign and check character (the date itself is not re-validated here)."""
    m = _RE.fullmatch(code)
    return bool(m) and check_char(code[:6], code[7:10]) == code[10]


def expr(birth_date: pl.Expr, zzz: pl.Expr, sign_index: pl.Expr) -> pl.Expr:
    """Polars expression building identity codes; sign_index 0 is the classic sign, 1-5 the 2023 ones."""
    year = birth_date.dt.year()
    ddmmyy = birth_date.dt.strftime("%d%m%y")
    zzz_s = zzz.cast(pl.String).str.zfill(3)
    signs_1900 = dict(enumerate(CENTURY_SIGNS[1900]))
    signs_2000 = dict(enumerate(CENTURY_SIGNS[2000]))
    century = (
        pl.when(year < 1900).then(pl.lit("+"))
        .when(year < 2000).then(sign_index.replace_strict(signs_1900, return_dtype=pl.String))
        .otherwise(sign_index.replace_strict(signs_2000, return_dtype=pl.String))
    )
    number = (ddmmyy + zzz_s).cast(pl.Int64)
    check = (number % 31).replace_strict(dict(enumerate(CHECK_CHARS)), return_dtype=pl.String)
    return pl.concat_str([ddmmyy, century, zzz_s, check])
