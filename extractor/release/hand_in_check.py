"""A request handed in is checked at once against the controller's catalog: its keys, names and SQL.

A misspelt column used to wait in the queue until the runner took the request, and the requester then read the
error a run later. When the airlock is served with the controller's catalog (`serve --catalog`), the hand-in
form runs what `extractor test` runs on no rows at all: the request loaded with the controller's catalog and
policy (schema only: no data is read), its query files confined to those handed in, and each query run in the
locked sandbox over empty tables of the columns the request names (one thread, 512 MB, 10 s: the server's
resources are shared), then its columns checked against the output's keys. The first problem is shown on the
form, as `try` would say it, with the controller's folders taken out; nothing is queued. The runner checks
everything again, on the real data.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from extractor.errors import ExtractorError, QueryFailed
from extractor.i18n import Message
from extractor.machine import resolve
from extractor.release.runner import confined, folder_forms, without_folders
from extractor.release.submissions import REQUEST_FILE
from extractor.release.workflow import Refused

SECONDS = 10.0  # on empty tables a query that runs longer generates its own rows: the web server's time is shared
MEMORY = "512MB"  # nor may one hand-in take the server's memory (DuckDB's own limit) ...
ADDRESS_SPACE = 3 * 2**30  # ... nor what DuckDB does not count: the child's whole address space (1.2 GB at rest)
CHECKS_AT_ONCE = 2
_slots = threading.BoundedSemaphore(CHECKS_AT_ONCE)
_busy: set[str] = set()
_lock = threading.Lock()


def first_problem(files: dict[str, str], catalog: Path, policy: Path | None, account: str = "",
                  lang: str = "en") -> str | None:
    """What `try` would refuse in the files handed in, without data; None when the request and its queries
    pass. One check per account at a time and CHECKS_AT_ONCE in all, each in a process of its own whose address
    space is capped (DuckDB's memory limit does not hold a string built by repeat()): a requester cannot take
    the server's memory or its worker threads."""
    with _lock:
        if account in _busy:
            raise Refused(429, Message("Your previous hand-in is still being checked; send this one when it is done."))
        _busy.add(account)
    try:
        if not _slots.acquire(timeout=SECONDS):
            raise Refused(429, Message("The airlock is checking other requests; hand this one in again in a "
                                       "minute."))
        try:
            return _in_child(files, catalog, policy, lang)
        finally:
            _slots.release()
    finally:
        with _lock:
            _busy.discard(account)


def _in_child(files: dict[str, str], catalog: Path, policy: Path | None, lang: str = "en") -> str | None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_cap, initargs=(ADDRESS_SPACE,)) as pool:
        future = pool.submit(_problem, files, catalog, policy, SECONDS, lang)
        try:
            return future.result(timeout=SECONDS + 30)
        except (BrokenProcessPool, MemoryError):
            return ("a query needed more memory than the hand-in check allows (a very long string or a runaway "
                    "series?); simplify it and try it with extractor try")
        except FutureTimeout:
            for process in list(pool._processes.values()):  # noqa: SLF001 - a check that ignores its own limit
                process.kill()
            return f"the check did not finish in {SECONDS:g} s; simplify the query and try it with extractor try"


def _cap(address_space: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))


def _problem(files: dict[str, str], catalog: Path, policy: Path | None, seconds: float, lang: str = "en"
             ) -> str | None:
    with tempfile.TemporaryDirectory(prefix="extractor-hand-in-") as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")  # names checked by check_files: no path parts
        places = folder_forms({folder: "", catalog.parent: "<catalog>/"})
        try:
            _check(folder / REQUEST_FILE, folder, catalog, policy, seconds)
        except ExtractorError as exc:
            from extractor.i18n import said

            return without_folders(said(exc.args[0], lang) if exc.args else str(exc), places)
    return None


def _check(request: Path, folder: Path, catalog: Path, policy: Path | None, seconds: float) -> None:
    import duckdb

    from extractor.config.load import load_config
    from extractor.disclosure.columns import declared_columns, require_columns
    from extractor.engine.sandbox_functions import duckdb_macros
    from extractor.protect.sandbox import run_query
    from extractor.researcher.query_tests import build_tables, query_variables
    from extractor.researcher.sql_errors import teach

    cfg = load_config(request, schema_only=True, controller_files=(catalog, policy))
    confined(cfg, folder)
    db = folder / ".empty.duckdb"
    with duckdb.connect(str(db)) as con:
        build_tables(con, cfg.catalog, query_variables(cfg), {})
        for macro in duckdb_macros(cfg.request.as_of):
            con.execute(macro)
    for output in cfg.request.outputs:
        try:
            got = run_query(db, output.query, resolve(threads=1, memory_limit=MEMORY), cfg.catalog.person_tables(),
                            seconds=seconds)
        except QueryFailed as exc:
            raise ExtractorError(teach(exc, cfg.catalog, cfg.request.variables)) from None
        require_columns(output, got.columns, declared_columns(output))
