"""Sign-in throttling, per account and per address: after a few failures each further attempt waits.

Why both: per account stops guessing one password from many addresses; per address stops trying one
password against many accounts. A locked key answers at once without hashing, so guessing costs the
server nothing. Kept in the server's memory: a restart forgets it, which only gives a guesser a fresh
five tries.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

MAX_LOCK = 900.0
WINDOW = 900.0


@dataclass
class _Failures:
    count: int
    last: float


class Throttle:
    def __init__(self, allowed: int = 5, first_lock: float = 60.0) -> None:
        self.allowed, self.first_lock = allowed, first_lock
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def _wait(self, key: str, now: float) -> float:
        f = self._failures.get(key)
        if f is None or now - f.last > WINDOW + MAX_LOCK:
            return 0.0
        if f.count < self.allowed:
            return 0.0
        lock = min(self.first_lock * 2 ** (f.count - self.allowed), MAX_LOCK)
        return max(0.0, f.last + lock - now)

    def wait(self, *keys: str) -> float:
        """Seconds to wait before another attempt may be checked (0: go ahead)."""
        now = time.monotonic()
        with self._lock:
            return max(self._wait(k, now) for k in keys)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                f = self._failures.get(key)
                if f is None or now - f.last > WINDOW + MAX_LOCK:
                    self._failures[key] = _Failures(1, now)
                else:
                    f.count, f.last = f.count + 1, now

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
