"""The eligibility stage's read-only checks, run beside its rules on a second connection to the same database.

Validating the registers and gathering the DPO's warnings (unknown persons, repeated choices, dangling
references, death dates, service tasks without a retention rule) is a dozen small queries that each read a
register or one column and run on one thread: at 100,000 clients about 110 ms, while the rule query keeps both
cores busy. On a DuckDB cursor in a thread of their own they overlap with the rules. They only read (the raw
views, shared by every connection to the database), so the two connections never write the same thing.

On Spark the checks' jobs go to the same session from their own thread (a SparkSession takes jobs from several
threads; the driver plans each job on its caller's thread, and a small job is mostly planning). On PostgreSQL
sources (copied into tables the copying connection alone sees) they run first, in order, on the stage's connection.
A register that cannot be read stops the run with its own one-line error even when the rules, which read the
same rows, fail first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], list]  # a connection -> the warnings it gives (or it raises ExtractorError)


class SideChecks:
    """Named checks started at once: in a thread on `beside` (a second connection, or a Spark connection itself)
    when given, else run here on `con`, in order."""

    def __init__(self, con: Any, checks: dict[str, Check], beside: Any | None) -> None:
        self._checks, self._found, self._error = checks, {}, None
        self._second, self._thread = (beside if beside is not con else None), None
        if beside is not None:
            self._thread = threading.Thread(target=self._run, args=(beside,), name="extractor-eligibility-checks",
                                            daemon=True)
            self._thread.start()
        else:
            self._run(con)
            self._raise()

    def _run(self, con: Any) -> None:
        try:
            for name, check in self._checks.items():
                self._found[name] = check(con)
        except BaseException as exc:  # noqa: BLE001 - handed to the stage's thread by finish()
            self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def finish(self) -> dict[str, list]:
        """Each check's warnings, after waiting for the thread; a check's error is raised here."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._second is not None:
            self._second.close()
            self._second = None
        self._raise()
        return self._found
