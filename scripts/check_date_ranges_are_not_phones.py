"""Check that no range of two dates the phone prefilter lets off (detect.DATE_RANGE) is a phone, in full.

libphonenumber's matcher reads such a range (15.7.–12.8.2026) first whole, then in the pieces its dashes, dots and
spaces cut it into. The pieces are the second date, which tests/test_freetext_phone_prefilter.py proves is never a
phone, or hold at most four digits, which it proves too. Whole, the range is parsed from its digits alone (no plus
sign, no letter), D1 M1 D2 M2 Y, and the matcher's verdict at VALID is then one on those digits. This script parses
and verifies every digit string a range can give, each day and month form on both sides and each year the test of
single dates names (1900-2099 and 00-99): 114,577,200 strings, about 40 CPU-minutes. It prints what it checked and
every string accepted; the prefilter is sound only if none is. Run after libphonenumber changes (`make lock`); the
test samples the same ranges through the matcher itself. Not run by the build.

    python scripts/check_date_ranges_are_not_phones.py [part parts]   # one of `parts` slices, to use more cores
"""

from __future__ import annotations

import sys
import time

import phonenumbers
from phonenumbers import phonenumbermatcher as matcher
from phonenumbers.phonenumberutil import NumberParseException

DAYS = [str(d) for d in range(1, 32)]  # without a leading zero, as DATE_RANGE reads both days
MONTHS = [str(m) for m in range(1, 13)] + [f"{m:02d}" for m in range(1, 10)]
YEARS = [str(y) for y in range(1900, 2100)] + [f"{y:02d}" for y in range(100)]


def main(part: int = 0, parts: int = 1) -> int:
    day_months = sorted({d + m for d in DAYS for m in MONTHS})  # digit strings: 1.11. and 11.1. give one
    accepted, checked, started = [], 0, time.time()
    for i, first in enumerate(day_months):
        if i % parts != part:
            continue
        for second in day_months:
            for year in YEARS:
                digits = first + second + year
                checked += 1
                try:
                    number = phonenumbers.parse(digits, "FI", keep_raw_input=True)
                except NumberParseException:
                    continue
                if matcher._verify(matcher.Leniency.VALID, number, digits, None):  # noqa: SLF001 - the matcher's own
                    accepted.append(digits)
    print(f"part {part} of {parts}: {checked:,} digit strings checked, {len(accepted)} accepted {accepted[:20]} "
          f"({time.time() - started:.0f} s, phonenumbers {phonenumbers.__version__})")
    return 1 if accepted else 0


if __name__ == "__main__":
    sys.exit(main(*map(int, sys.argv[1:3])))
