"""The exclusion flow rounded so that each table's line adds up: in source = every step's rows + eligible.

Rounded one figure at a time, the steps of a flow need not add up to its first figure (498,795 in source, its
steps 5 short), which a researcher drawing a CONSORT diagram cannot use. Under the policy's `controlled`
rounding each figure is instead one of the two multiples of the base next to its true value, chosen so that the
line adds up (Cox 1987; a single line always has such a rounding unless forced figures forbid it): the largest
remainders go up, as many as the total's adjacent multiple with the least deviation needs, the rest down. A
count of 8 or 9 only rounds up (never into 1–7); a line with a step of 1–7, which the small-count rule hides,
keeps the independent rounding. Tables use tables/controlled_rounding.py (a 0/1 programme in HiGHS); the flow
is in every run, and one line has this closed form, so no run loads scipy and HiGHS for it
(tests/test_flow_rounding.py holds the two to the same least deviation).
"""

from __future__ import annotations

import polars as pl

from extractor.config.policy import Disclosure


def controlled_line(parts: list[int], base: int, threshold: int) -> list[int] | None:
    """[total, *parts] rounded to multiples of `base` so that the parts add up to the total, each the multiple
    below or above its value (zeros stay zero, none brought into 1..threshold); None when no such rounding
    exists or a part is itself 1..threshold."""
    if any(1 <= x <= threshold for x in parts):
        return None
    floors = [x - x % base for x in parts]
    rest = [x % base for x in parts]
    forced = [i for i, (x, f) in enumerate(zip(parts, floors, strict=True)) if x > 0 and f <= threshold]
    free = sorted((i for i, r in enumerate(rest) if r and i not in forced), key=lambda i: -rest[i])
    remainder, total = sum(rest), sum(parts)
    best: list[int] | None = None
    for ups in sorted({remainder // base, -(-remainder // base)}):  # the total's two adjacent multiples
        if len(forced) <= ups <= len(forced) + len(free):
            rounded = list(floors)
            for i in forced + free[:ups - len(forced)]:
                rounded[i] += base
            line = [sum(rounded), *rounded]
            if best is None or _deviation(line, [total, *parts]) < _deviation(best, [total, *parts]):
                best = line
    return best


def _deviation(line: list[int], true: list[int]) -> int:
    return sum(abs(a - b) for a, b in zip(line, true, strict=True))


def add_up(exact: pl.DataFrame, safe: pl.DataFrame, rules: Disclosure) -> pl.DataFrame:
    """`safe` (the flow after the aggregate rules: text figures) with each table's line replaced by its
    controlled rounding, where the policy asks for controlled rounding and the line has one."""
    if rules.rounding != "controlled" or exact.is_empty():
        return safe
    figures: dict[tuple[str, str], str] = {}
    for (table,), line in exact.group_by("table", maintain_order=True):
        steps = line["step"].to_list()
        rounded = controlled_line(line["rows"].to_list()[1:], rules.rounding_base, rules.threshold)
        if rounded is not None and int(steps[0].split(" ", 1)[0]) == 0:
            figures.update({(table, step): str(value) for step, value in zip(steps, rounded, strict=True)})
    if not figures:
        return safe
    keys = zip(safe["table"].to_list(), safe["step"].to_list(), strict=True)
    shown = [figures.get(k, v) for k, v in zip(keys, safe["rows"].to_list(), strict=True)]
    return safe.with_columns(pl.Series("rows", shown, dtype=safe["rows"].dtype))
