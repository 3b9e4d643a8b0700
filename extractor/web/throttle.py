"""Sign-in throttling, per account and per address: after a few failures each further attempt waits.

After `allowed` failures a key is locked for `first_lock` seconds after the last one, doubling with each
further failure up to 15 minutes; once a lock has passed, one attempt at a time is let through (and a success
clears the account). Why both: per account stops guessing one password from many addresses; per address stops
trying one password against many accounts. The per-address limit is four times the per-account one, so that
the users behind one proxy are not all locked out by one guesser as soon as one account is. A locked key
answers at once without hashing, so guessing costs the server nothing. An attempt is reserved before its
password is hashed and counted when it fails, under one lock, so parallel guesses cannot all slip in before
the first failure is counted. Kept in the server's memory: a restart forgets it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_LOCK = 900.0
WINDOW = 900.0
ADDRESS_FACTOR = 4


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    pending: int = 0  # attempts being checked now


class Throttle:
    def __init__(self, allowed: int = 5, first_lock: float = 60.0, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.allowed, self.first_lock, self.clock = allowed, first_lock, clock
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def _limit(self, key: str) -> int:
        return self.allowed * (ADDRESS_FACTOR if key.startswith("address:") else 1)

    def _wait(self, key: str, now: float) -> float:
        f = self._failures.get(key)
        if f is None:
            return 0.0
        if f.pending == 0 and now - f.last > WINDOW + MAX_LOCK:
            del self._failures[key]
            return 0.0
        limit = self._limit(key)
        if f.count >= limit:  # locked for a while after the last failure, then one attempt at a time
            lock = min(self.first_lock * 2 ** (f.count - limit), MAX_LOCK)
            remaining = f.last + lock - now
            return remaining if remaining > 0 else (1.0 if f.pending else 0.0)
        if f.count == 0 and key.startswith("address:"):
            return 0.0  # an office signing in at once from one address: only guesses after a failure are held
        return 1.0 if f.count + f.pending >= limit else 0.0

    def begin(self, *keys: str) -> float:
        """Reserve an attempt on every key, or the seconds to wait before one may be made (nothing reserved)."""
        now = self.clock()
        with self._lock:
            wait = max(self._wait(k, now) for k in keys)
            if wait == 0.0:
                for key in keys:
                    self._failures.setdefault(key, _Failures()).pending += 1
            return wait

    def end(self, keys: tuple[str, ...], failed: bool) -> None:
        """Close a reserved attempt: count it when it failed; a success clears the account's failures."""
        now = self.clock()
        with self._lock:
            for key in keys:
                f = self._failures.setdefault(key, _Failures())
                f.pending = max(0, f.pending - 1)
                if failed:
                    f.count, f.last = f.count + 1, now
                elif key.startswith("account:"):
                    f.count = 0
