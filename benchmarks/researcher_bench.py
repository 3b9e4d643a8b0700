"""The researcher's loop: `extractor try` on each demo request, a config error's latency and a small request on
the 50,000-client demo registry, end to end (a fresh process, as the researcher runs it), each beside its
baseline measured in the same run: the request's own queries run bare in DuckDB on the same data, and
`extractor --version`."""

from __future__ import annotations

import os
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


def _stage_split(request: Path, data: Path, out: Path) -> dict[str, Any]:
    """In a fresh process: imports, then one run in-process with its stages and the release stage's parts."""
    t0 = time.perf_counter()
    import extractor.pipeline as pipeline
    from extractor.config.load import load_config
    imports = time.perf_counter() - t0
    parts: dict[str, float] = {}
    for name in ("write_notices", "write_codebook", "write_review", "_record", "write_overdue", "write_persons"):
        real = getattr(pipeline, name)

        def timed(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                parts[_name] = parts.get(_name, 0.0) + time.perf_counter() - t
        setattr(pipeline, name, timed)
    t0 = time.perf_counter()
    result = pipeline.run_extract(load_config(request, data), out, b"benchmark-key-not-secret-0123456789abcdef")
    return {"imports": imports, "run": time.perf_counter() - t0, "stages": result.timings, "parts": parts}


def small_request(clients: int = 50_000) -> list[dict[str, Any]]:
    """A small request (the research aggregate) on the demo-sized registry: `extractor run` in a fresh process
    (run, check, report and codebook in three languages, notices), and the same run's stage split."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from benchmarks.run import record
    from extractor.synth import registry as synth

    request = REPO / REQUESTS["research"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        synth.generate(work / "registry", clients, 2026)
        bare = _bare(request, work / "registry")
        env_key = {"EXTRACTOR_KEY": "benchmark-key-not-secret-0123456789abcdef"}
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "extractor.cli", "run", str(request), "--out", str(work / "cli"),
                               "--data-root", str(work / "registry")], cwd=work, capture_output=True, check=False,
                              env={**os.environ, **env_key})
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"extractor run failed: {done.stderr.decode()[-2000:]}")
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            split = pool.submit(_stage_split, request, work / "registry", work / "split").result()
    return [record("small_request", {"seconds": seconds}, "the request's query run bare in DuckDB on the same "
                   "registry (in-process, no start-up)", bare, {
                       "clients": clients, "request": REQUESTS["research"], "target_seconds": 2.0,
                       "what": "extractor run in a fresh process: start-up, sources, rules, sandbox, query, "
                               "disclosure control, output check, review report and codebook in fi/sv/en, notices",
                       "in_process_run_seconds": round(split["run"], 3),
                       "imports_seconds": round(split["imports"], 3),
                       "stages": {k: round(v, 3) for k, v in split["stages"].items()},
                       "parts": {k: round(v, 3) for k, v in split["parts"].items()}})]


def records(persons: int = 20_000) -> list[dict[str, Any]]:
    from benchmarks.run import record

    found = small_request()
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
