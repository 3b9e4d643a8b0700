"""`make bench`: time synthesis, each pipeline stage and whole extracts against the bare DuckDB query.

Every measurement runs in its own spawned process so that its peak RSS is its own. Records go to
benchmarks/results.json as {"name", "seconds", "baseline", "baseline_seconds", "ratio", "peak_rss_mb",
"params"}; later capabilities append their own records to the same list.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "work"
RESULTS = REPO / "benchmarks" / "results.json"
REQUESTS = {"research": REPO / "examples/registry/research_request.toml",
            "audit": REPO / "examples/registry/audit_request.toml"}
KEY = "benchmark-key-not-secret-0123456789abcdef"


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _synth(clients: int, seed: int) -> dict[str, Any]:
    from extractor import synth
    t0 = time.perf_counter()
    counts = synth.generate(WORK / "registry", clients, seed)
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": _peak_mb(), "counts": counts}


def _bare(request: str) -> dict[str, Any]:
    """The request's own SQL straight on the raw Parquet files: no eligibility, no pseudonyms, no SDC."""
    import duckdb

    from extractor.config import load_config
    from extractor.protect import _macros
    cfg = load_config(REQUESTS[request], WORK / "registry")
    t0 = time.perf_counter()
    con = duckdb.connect(config={"threads": 2})
    for table in cfg.catalog.tables.values():
        con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM read_parquet('{table.source.path}')")
    for macro in _macros(cfg):
        con.execute(macro)
    rows = sum(len(con.execute(o.query.read_text()).fetchall()) for o in cfg.request.outputs)
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": _peak_mb(), "rows": rows}


def _extract(request: str) -> dict[str, Any]:
    from extractor.config import load_config
    from extractor.pipeline import run_extract
    cfg = load_config(REQUESTS[request], WORK / "registry")
    t0 = time.perf_counter()
    result = run_extract(cfg, WORK / "out", KEY.encode())
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": _peak_mb(), "stages": result.timings}


def _in_child(fn: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def record(name: str, m: dict[str, Any], baseline: str | None, base_s: float | None, params: dict) -> dict:
    ratio = round(m["seconds"] / base_s, 2) if base_s else None
    return {"name": name, "seconds": round(m["seconds"], 3), "baseline": baseline,
            "baseline_seconds": None if base_s is None else round(base_s, 3), "ratio": ratio,
            "peak_rss_mb": m.get("peak_rss_mb"), "params": params}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ["EXTRACTOR_KEY"] = KEY
    records: list[dict] = []
    syn = _in_child(_synth, args.clients, args.seed)
    params = {"clients": args.clients, "documents": syn["counts"]["documents"], "seed": args.seed, "threads": 2}
    # The target: 1M clients / 10M documents in under 2 minutes, scaled to the size asked for.
    target = 120.0 * args.clients / 1_000_000
    records.append(record("synth", syn, f"target: 120 s per 1M clients ({target:.1f} s here)", target, params))
    for request in ("research", "audit"):
        bare = _in_child(_bare, request)
        ext = _in_child(_extract, request)
        label = f"bare DuckDB query of the {request} aggregate on the raw Parquet files"
        p = dict(params, request=REQUESTS[request].name)
        name = "extract" if request == "research" else f"extract_{request}"
        records.append(record(name, ext, label, bare["seconds"], p))
        if request == "research":
            for stage, seconds in ext["stages"].items():
                records.append(record(f"stage_{stage}", {"seconds": seconds}, label, bare["seconds"], p))
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    names = {r["name"] for r in records}
    merged = [r for r in existing if r["name"] not in names] + records
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps(records, indent=2))


if __name__ == "__main__":
    main()
