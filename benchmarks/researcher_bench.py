"""The researcher's loop: `extractor try` on each demo request and a config error's latency, end to end
(a fresh process, as the researcher runs it), each beside its baseline measured in the same run: the
request's own queries run bare in DuckDB on the same dummy data, and `extractor --version`."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parent.parent
REQUESTS = {"research": "examples/registry/research_request.toml", "audit": "examples/registry/audit_request.toml",
            "microdata": "examples/registry/microdata_request.toml", "synthea": "examples/synthea/request.toml"}


def _cli(*args: str, cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "extractor.cli", *args], cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - t0


def _bare(request: Path, data: Path) -> float:
    """The request's queries on the raw dummy files, helpers as macros: what a researcher's DuckDB would do."""
    from extractor.config.load import load_config
    from extractor.engine.sandbox_functions import duckdb_macros

    cfg = load_config(request, data)
    t0 = time.perf_counter()
    con = duckdb.connect()
    for t in cfg.catalog.tables.values():
        reader = "read_parquet" if t.source.format == "parquet" else "read_csv_auto"
        con.execute(f"CREATE VIEW \"{t.name}\" AS SELECT * FROM {reader}('{t.source.path}')")
    for macro in duckdb_macros(cfg.request.as_of):
        con.execute(macro)
    for out in cfg.request.outputs:
        con.sql(out.query.read_text()).pl()
    return time.perf_counter() - t0


def records(persons: int = 20_000) -> list[dict[str, Any]]:
    from benchmarks.run import record

    found = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, rel in REQUESTS.items():
            request = REPO / rel
            data = work / f"data-{name}"
            _cli("dummy", str(request), "--out", str(data), "--persons", str(persons), cwd=work)
            bare = _bare(request, data)
            seconds = _cli("try", str(request), "--out", str(work / name), "--persons", str(persons), cwd=work)
            found.append(record(f"try_{name}", {"seconds": seconds}, "the request's queries run bare in DuckDB on "
                                "the same dummy data (in-process, no start-up)", bare,
                                {"persons": persons, "request": rel, "what": "extractor try, a fresh process: "
                                 "start-up, dummy data, the whole pipeline, DUMMY_ files"}))
        bad = work / "bad.toml"
        bad.write_text((REPO / REQUESTS["research"]).read_text().replace('purpose = "research"',
                                                                          'purpose = "reserach"'))
        version = _cli("--version", cwd=work)
        seconds = _cli("run", str(bad), "--out", str(work / "out"), cwd=work)
        found.append(record("config_error", {"seconds": seconds}, "extractor --version (the process start-up)",
                            version, {"what": "extractor run on a request with a wrong purpose: one line, exit 2"}))
    return found
