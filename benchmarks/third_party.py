"""Runs under .venv-bench (anjana and pycanon pin their own numpy/pandas): the greedy baseline and the
independent k/ℓ confirmation, printed as JSON. Benchmark-only; never imported by extractor."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time

import pandas as pd


def hierarchies(folder: str, qis: list[str]) -> dict:
    return {a: dict(pd.read_csv(f"{folder}/adult_hierarchy_{a}.csv", header=None, sep=";", dtype=str)) for a in qis}


def infer_levels(out: pd.DataFrame, hs: dict) -> dict:
    """The level of each quasi-identifier in a generalised table: the hierarchy column holding its values."""
    levels = {}
    for a, h in hs.items():
        values = set(out[a].astype(str))
        levels[a] = next(lv for lv in sorted(h) if values <= set(h[lv].astype(str)))
    return levels


def main() -> None:
    import pycanon.anonymity as pc
    from anjana.anonymity import k_anonymity_inner, l_diversity

    job = json.loads(sys.stdin.read())
    data = pd.read_csv(f"{job['adult']}/adult.csv", sep=";", dtype=str)
    qis = job["qis"]
    hs = hierarchies(job["adult"], qis)
    results = {}
    for case in job["cases"]:
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            if case.get("l"):
                out = l_diversity(data, [], qis, case["sensitive"], case["k"], case["l"], case["limit"] * 100, hs)
                levels = infer_levels(out, hs)
            else:
                out, _, levels = k_anonymity_inner(data, [], qis, case["k"], case["limit"] * 100, hs)
        seconds = time.perf_counter() - t0
        ours = pd.read_csv(case["ours"], dtype=str)
        confirm = {"k": int(pc.k_anonymity(ours, qis))}
        if case.get("l"):
            confirm["l"] = int(pc.l_diversity(ours, qis, [case["sensitive"]]))
        results[case["name"]] = {"seconds": seconds, "levels": {a: int(levels[a]) for a in qis},
                                 "suppressed": int(len(data) - len(out)), "pycanon": confirm}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
