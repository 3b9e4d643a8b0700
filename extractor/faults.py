"""Fault injection for the crash-safety tests: EXTRACTOR_FAULT_KILL_AT=<point> kills the process there.

Points: every pipeline stage name, 'publish', 'record', and 'release-record' (after a release's copy,
before its audit record). Unset in normal use; nothing else reads it.
"""

from __future__ import annotations

import os
import signal


def kill_point(name: str) -> None:
    if os.environ.get("EXTRACTOR_FAULT_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
