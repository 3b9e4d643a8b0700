"""Seconds per test file from a `pytest --durations=0` report on stdin, as JSON for tests/durations.json.

`make durations` runs the suite and writes it; conftest.py hands the longest files to xdist's workers
first. Run it again when a test file grows or a new slow one comes.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

LINE = re.compile(r"\s*([\d.]+)s (?:call|setup|teardown)\s+([^:\s]+)::")


def per_file(lines: list[str]) -> dict[str, float]:
    seconds: Counter[str] = Counter()
    for line in lines:
        if m := LINE.match(line):
            seconds[m.group(2)] += float(m.group(1))
    return {name: round(s, 1) for name, s in seconds.most_common()}


if __name__ == "__main__":
    found = per_file(sys.stdin.read().splitlines())
    if not found:
        sys.exit("no durations on stdin: expected the output of pytest --durations=0")
    print(json.dumps(found, indent=0))
