"""omop_extract: the OMOP example's requests on Eunomia (examples/omop), each against the bare query.

The bare query is the request's own SQL run by DuckDB straight on a copy of the Eunomia file, its tables
under the catalog's names: no eligibility, pseudonyms, sandbox, disclosure control or check. Eunomia is small
(2,694 persons, 65k conditions), so the record says what the whole machinery costs on a small study, where
fixed costs (reading the catalog, the notices, the report) dominate; `scaled` repeats it on Eunomia's persons
copied `copies` times with new ids, where the per-row work shows.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

REQUESTS = ("cohort_request.toml", "drugs_request.toml", "records_request.toml", "notes_request.toml")
CLINICAL = ("person", "observation_period", "visit_occurrence", "condition_occurrence", "drug_exposure",
            "procedure_occurrence", "measurement", "observation", "note", "death")


def sample(out: str, copies: int) -> dict[str, int]:
    """Eunomia with notes and registers in `out`; with copies > 1 every clinical table repeated with person and
    visit ids moved by a block per copy (the registers too), so the same people recur as new ones."""
    import duckdb
    import polars as pl

    from extractor.synth.eunomia import write_sample

    counts = write_sample(Path(out))
    if copies <= 1:
        return counts
    con = duckdb.connect(str(Path(out) / "cdm.duckdb"))
    step = 10_000_000
    for table in CLINICAL:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        moved = ", ".join(f"{c} + i * {step} AS {c}" if c.upper() in ("PERSON_ID", "VISIT_OCCURRENCE_ID", "NOTE_ID")
                          else c for c in cols)
        con.execute(f"CREATE TABLE {table}_x AS SELECT {moved} FROM {table}, range({copies}) r(i)")
        con.execute(f"DROP TABLE {table}; ALTER TABLE {table}_x RENAME TO {table}")
    con.close()
    for name in ("opt_outs.parquet", "disclosure_bans.parquet"):
        frame = pl.read_parquet(Path(out) / name)
        moved = [frame.with_columns(pl.col("person_id") + i * step) for i in range(copies)]
        if "target" in frame.columns:  # a visit ban names its visit, moved with it
            moved = [f.with_columns((pl.col("target").cast(pl.Int64) + i * step).cast(pl.String))
                     for i, f in enumerate(moved)]
        pl.concat(moved).write_parquet(Path(out) / name)
    return {k: v * copies for k, v in counts.items()}


def extract(request: str, data: str, out: str, key: str) -> dict[str, Any]:
    import resource

    from extractor.config.load import load_config
    from extractor.pipeline import run_extract

    t0 = time.perf_counter()
    result = run_extract(load_config(Path(request), Path(data)), Path(out), key.encode())
    return {"seconds": time.perf_counter() - t0, "stages": result.timings,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "sha256": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16]
                       for p in sorted(result.release_dir.glob("*.csv"))}}


def bare(query: str, data: str) -> dict[str, Any]:
    """The request's SQL on the raw file (DuckDB resolves names in any case); age_at/as_of_date defined plainly."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{Path(data) / 'cdm.duckdb'}' AS cdm (READ_ONLY); USE cdm")
    con.execute("CREATE TEMP MACRO as_of_date() AS DATE '2026-10-31'")
    t0 = time.perf_counter()
    rows = len(con.execute(Path(query).read_text()).fetchall())
    return {"seconds": time.perf_counter() - t0, "rows": rows}


def omop_records(repo: Path, work: Path, key: str, in_child: Any, copies: int) -> list[dict[str, Any]]:
    import tomllib

    records = []
    for size in sorted({1, copies}):
        data = work / f"omop_{size}"
        counts = in_child(sample, str(data), size)
        for name in REQUESTS:
            request = repo / "examples" / "omop" / name
            query = (request.parent / tomllib.loads(request.read_text())["outputs"][0]["query"]).resolve()
            base = in_child(bare, str(query), str(data))
            run = in_child(extract, str(request), str(data), str(work / f"omop_out_{size}"), key)
            label = "" if name == REQUESTS[0] else "_" + name.removesuffix("_request.toml")
            records.append({
                "name": f"omop_extract{label}" + (f"_x{size}" if size > 1 else ""),
                "seconds": round(run["seconds"], 3),
                "baseline": "the request's own SQL by DuckDB on the raw Eunomia file: no rules, pseudonyms, "
                            "disclosure control, check or notices",
                "baseline_seconds": round(base["seconds"], 3), "ratio": round(run["seconds"] / base["seconds"], 2),
                "peak_rss_mb": run["peak_rss_mb"],
                "params": {"copies": size, **counts, "bare_rows": base["rows"],
                           "stages": {k: round(v, 3) for k, v in run["stages"].items()}, "sha256": run["sha256"]}})
    return records
