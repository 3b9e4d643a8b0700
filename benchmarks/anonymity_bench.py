"""Benchmarks of the anonymity search: UCI Adult against anjana (greedy), confirmed by pycanon, and 10M rows."""

from __future__ import annotations

import json
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from extractor.machine import connect, resolve

REPO = Path(__file__).resolve().parent.parent
ADULT = REPO / "examples" / "adult" / "data"
QIS = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"]
CASES = [("kanon_adult_k5_s01", 5, 0.01, None), ("kanon_adult_k5_s05", 5, 0.05, None),
         ("kanon_adult_k10_s01", 10, 0.01, None), ("kanon_adult_k10_s05", 10, 0.05, None),
         ("ldiv_adult_k5_l2_s05", 5, 0.05, 2)]
BENCH_PY = REPO / ".venv-bench" / "bin" / "python"


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def adult_records(work: Path) -> list[dict[str, Any]]:
    from extractor.disclosure.records.anonymity import (
        Criteria,
        _attribute_losses,
        _classes,
        _violating,
        combine,
        encode,
        generalise,
        search,
    )
    from extractor.disclosure.records.hierarchy import Hierarchy

    data = pl.read_csv(ADULT / "adult.csv", separator=";", infer_schema=False)
    hs = {a: Hierarchy.from_csv(ADULT / f"adult_hierarchy_{a}.csv", a) for a in QIS}
    ours, jobs = {}, []
    for name, k, limit, ell in CASES:
        c = Criteria(k=k, l=ell, sensitive=("salary-class",) if ell else (), suppression_limit=limit)
        t0 = time.perf_counter()
        result = search(data, hs, c)
        seconds = time.perf_counter() - t0
        path = work / f"{name}.csv"
        generalise(data, hs, result, c).select(*QIS, "salary-class").write_csv(path)
        ours[name] = (result, seconds, c)
        jobs.append({"name": name, "k": k, "limit": limit, "l": ell, "sensitive": "salary-class", "ours": str(path)})
    third = json.loads(subprocess.run([str(BENCH_PY), str(REPO / "benchmarks" / "third_party.py")],
                                      input=json.dumps({"adult": str(ADULT), "qis": QIS, "cases": jobs}),
                                      capture_output=True, text=True, check=True).stdout)
    records = []
    for name, k, limit, ell in CASES:
        result, seconds, c = ours[name]
        base = third[name]
        node = tuple(base["levels"][a] for a in QIS)
        enc = encode(data, hs, c.sensitive)
        inverse, sizes = _classes(enc, node)
        bad = _violating(enc, inverse, sizes, c)
        base_loss = combine(_attribute_losses(enc, node, bad[inverse], int(sizes[bad].sum())))
        records.append({
            "name": name, "seconds": round(seconds, 3),
            "baseline": "anjana (PyPI, greedy) on the same data and settings",
            "baseline_seconds": round(base["seconds"], 3), "ratio": round(seconds / base["seconds"], 3),
            "peak_rss_mb": _peak_mb(),
            "params": {"rows": data.height, "quasi_identifiers": QIS, "k": k, "l": ell, "suppression_limit": limit,
                       "sensitive": list(c.sensitive), "lattice": result.lattice_size, "evaluated": result.evaluated},
            "levels": [result.levels[a] for a in QIS], "suppressed": result.suppressed, "loss": round(result.loss, 6),
            "baseline_levels": list(node), "baseline_suppressed": base["suppressed"],
            "baseline_loss": round(base_loss, 6), "pycanon_confirms": base["pycanon"],
        })
    return records


def scale_record(rows: int = 10_000_000, seed: int = 2026) -> dict[str, Any]:
    """Search on `rows` records with 5 quasi-identifiers against one bare DuckDB GROUP BY over them."""

    from extractor import reference_data
    from extractor.disclosure.records.anonymity import Criteria, search
    from extractor.disclosure.records.hierarchy import age_bands, postal_codes_fi, suppress_only

    rng = np.random.default_rng(seed)
    postal = reference_data.postal_codes()["postal_code"]
    frame = pl.DataFrame({
        "age": pl.Series(np.clip(rng.normal(45, 22, rows), 0, 100).astype(np.int64)).cast(pl.String),
        "sex": pl.Series(np.array(["F", "M"])[rng.integers(0, 2, rows)]),
        "postal_code": postal.gather(rng.integers(0, postal.len(), rows)),
        "language": pl.Series(np.where(rng.random(rows) < 0.06, "sv", "fi")),
        "service_task": pl.Series(np.array(["10", "15", "20"])[rng.integers(0, 3, rows)]),
    })
    con = connect(resolve())
    con.register("records", frame.to_arrow())
    t0 = time.perf_counter()
    groups = con.execute("SELECT count(*) FROM (SELECT age, sex, postal_code, language, service_task, count(*) "
                         "FROM records GROUP BY ALL)").fetchone()[0]
    bare = time.perf_counter() - t0
    hs = {"age": age_bands("age"), "sex": suppress_only(frame["sex"], "sex"), "postal_code": postal_codes_fi(),
          "language": suppress_only(frame["language"], "language"),
          "service_task": suppress_only(frame["service_task"], "service_task")}
    t0 = time.perf_counter()
    result = search(frame, hs, Criteria(k=5, suppression_limit=0.01))
    seconds = time.perf_counter() - t0
    return {"name": "anonymity_10m", "seconds": round(seconds, 3),
            "baseline": "one bare DuckDB GROUP BY over the 5 quasi-identifiers (same data, same run)",
            "baseline_seconds": round(bare, 3), "ratio": round(seconds / bare, 2), "peak_rss_mb": _peak_mb(),
            "params": {"rows": rows, "quasi_identifiers": list(hs), "distinct_combinations": groups, "k": 5,
                       "suppression_limit": 0.01, "lattice": result.lattice_size, "evaluated": result.evaluated},
            "levels": list(result.levels.values()), "suppressed": result.suppressed, "loss": round(result.loss, 6)}
