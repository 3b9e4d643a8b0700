"""A retention period's end as one comparison with a constant: `anchor + N YEAR <= as_of` rewritten exactly.

The engines add years by moving the month and clamping the day to the month's last (2024-02-29 + 1 year is
2025-02-28), so `anchor + N YEAR` never decreases as the anchor grows: the anchors that pass are every one
before a day, and that day's midnight. Comparing with a constant lets the Parquet reader answer whole row
groups from their statistics, and spares the date arithmetic on every row (1M documents: about 10 ms of CPU).
"""

from __future__ import annotations

import datetime as dt

from extractor.sql import quote_literal


def plus_years(day: dt.date, years: int) -> dt.date:
    """The engines' `day + INTERVAL years YEAR`: the same month and day, the 29th of February clamped."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def last_anchor(as_of: dt.date, years: int) -> dt.date:
    """The latest day D with D + years <= as_of (one of two candidates: plus_years never decreases)."""
    candidate = plus_years(as_of, -years)
    following = candidate + dt.timedelta(days=1)
    return following if plus_years(following, years) <= as_of else candidate


def ended_sql(anchor: str, years: int, as_of: dt.date) -> str:
    """SQL true when the period of `years` from `anchor` (a DATE or a TIMESTAMP) has ended by `as_of`. A day
    whose end of period falls before as_of passes whole; a day whose end is as_of itself passes only at
    midnight. That second kind is one day, or two when 28 and 29 February both end on a 28 February, or none
    when a 28 February's end is followed by a leap day."""
    day = last_anchor(as_of, years)
    before = day - dt.timedelta(days=1)
    if plus_years(day, years) < as_of:
        return f"{anchor} < DATE {quote_literal(str(day + dt.timedelta(days=1)))}"
    if plus_years(before, years) == as_of:
        return f"({anchor} <= DATE {quote_literal(str(before))} OR {anchor} = DATE {quote_literal(str(day))})"
    return f"{anchor} <= DATE {quote_literal(str(day))}"
