"""postgres_extract: the research request with every catalog table read from a PostgreSQL server, against the
same request on the Parquet files, in the same run; the released files must be the same bytes.

The server is Debian's, started in a temporary folder on loopback (tests/postgres_cluster.py); the registry's
Parquet files are loaded into it first (timed apart, `load_seconds`). Each extract runs in its own process.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any

VARIABLE = "EXTRACTOR_BENCH_REGISTRY_DB"


def load(uri: str, registry: Path) -> float:
    """The registry's Parquet files into the database (in a child process, so that its memory is no
    extract's peak: Linux keeps a process's peak RSS across fork and exec)."""
    import adbc_driver_postgresql.dbapi as postgres
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    with postgres.connect(uri) as con, con.cursor() as cur:
        for file in sorted(registry.glob("*.parquet")):
            cur.adbc_ingest(file.stem, pq.ParquetFile(file).iter_batches(1 << 17), mode="create")
        con.commit()
    return time.perf_counter() - t0


def extract_from(request: str, registry: str, out: str, key: str) -> dict[str, Any]:
    """One extract, in the child process the caller spawns: seconds, stages, peak RSS, released sha256."""
    import resource

    from extractor.config.load import load_config
    from extractor.pipeline import run_extract

    t0 = time.perf_counter()
    result = run_extract(load_config(Path(request), Path(registry)), Path(out), key.encode())
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "stages": result.timings,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "sha256": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                       for p in sorted(result.release_dir.glob("*.csv"))}}


def postgres_record(repo: Path, work: Path, key: str, in_child: Any, params: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, str(repo / "tests"))
    from postgres_cluster import catalog_on_postgres, new_database, temporary_cluster

    registry = work / "registry"
    with temporary_cluster() as base:
        uri = new_database(base, "registry")
        load_seconds = in_child(load, uri, registry)
        os.environ[VARIABLE] = uri
        request = catalog_on_postgres(repo, work / "postgres_requests", VARIABLE) / "research_request.toml"
        parquet = in_child(extract_from, str(repo / "examples/registry/research_request.toml"), str(registry),
                           str(work / "out_parquet"), key)
        postgres = in_child(extract_from, str(request), str(registry), str(work / "out_postgres"), key)
    if postgres["sha256"] != parquet["sha256"]:
        raise SystemExit(f"PostgreSQL released other bytes than Parquet: {postgres['sha256']} != {parquet['sha256']}")
    return {"name": "postgres_extract", "seconds": round(postgres["seconds"], 3),
            "baseline": "the same research request on the registry's Parquet files, same run; released files "
                        "byte-identical (sha256 asserted)",
            "baseline_seconds": round(parquet["seconds"], 3),
            "ratio": round(postgres["seconds"] / parquet["seconds"], 2), "peak_rss_mb": postgres["peak_rss_mb"],
            "params": dict(params, request="research_request.toml", load_seconds=round(load_seconds, 3),
                           postgres_stages={k: round(v, 3) for k, v in postgres["stages"].items()},
                           parquet_stages={k: round(v, 3) for k, v in parquet["stages"].items()},
                           parquet_peak_rss_mb=parquet["peak_rss_mb"], sha256=postgres["sha256"],
                           server="Debian's PostgreSQL in a temporary cluster on loopback, fsync off")}
