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

import tempfile
from pathlib import Path

from extractor.errors import ExtractorError, QueryFailed
from extractor.machine import resolve
from extractor.release.runner import _confined, _places, _scrub
from extractor.release.submissions import REQUEST_FILE

SECONDS = 10.0  # on empty tables a query that runs longer generates its own rows: the web server's time is shared
MEMORY = "512MB"  # nor may one hand-in take the server's memory


def first_problem(files: dict[str, str], catalog: Path, policy: Path | None) -> str | None:
    """What `try` would refuse in the files handed in, without data; None when the request and its queries
    pass."""
    with tempfile.TemporaryDirectory(prefix="extractor-hand-in-") as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")  # names checked by check_files: no path parts
        places = _places({folder: "", catalog.parent: "<catalog>/"})
        try:
            _check(folder / REQUEST_FILE, folder, catalog, policy)
        except ExtractorError as exc:
            return _scrub(str(exc), places)
    return None


def _check(request: Path, folder: Path, catalog: Path, policy: Path | None) -> None:
    import duckdb

    from extractor.config.load import load_config
    from extractor.disclosure.columns import declared_columns, require_columns
    from extractor.engine.sandbox_functions import duckdb_macros
    from extractor.protect.sandbox import run_query
    from extractor.researcher.query_tests import build_tables, query_variables
    from extractor.researcher.sql_errors import teach

    cfg = load_config(request, schema_only=True, controller_files=(catalog, policy))
    _confined(cfg, folder)
    db = folder / ".empty.duckdb"
    with duckdb.connect(str(db)) as con:
        build_tables(con, cfg.catalog, query_variables(cfg), {})
        for macro in duckdb_macros(cfg.request.as_of):
            con.execute(macro)
    for output in cfg.request.outputs:
        try:
            got = run_query(db, output.query, resolve(threads=1, memory_limit=MEMORY), cfg.catalog.person_tables(),
                            seconds=SECONDS)
        except QueryFailed as exc:
            raise ExtractorError(teach(exc, cfg.catalog, cfg.request.variables)) from None
        require_columns(output, got.columns, declared_columns(output))
