"""The eligibility stage against the analyst's plain SQL of the same rules (plain_rules.py), in one process.

Each is run `pairs` times, alternating which goes first, each on a fresh DuckDB connection, and the medians are
the record. The first query of a process pays DuckDB's warm-up (20-30 % at 100,000 clients), which a single pair
charged to whichever ran first; on a shared host one pair is also noise. The first pair's ratio is kept beside
the medians. The stage's time includes reading the sources, the ledger and the register checks, as a run has them.
"""

from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.plain_rules import plain_rules_sql
from extractor.machine import connect, resolve


def eligibility(request: Path, registry: Path, pairs: int = 3) -> dict[str, Any]:
    from extractor.config.load import load_config
    from extractor.eligibility.apply import apply_eligibility
    from extractor.eligibility.registers import removed_structures
    from extractor.sources import register_sources

    cfg = load_config(request, registry)
    found: dict[str, Any] = {}

    def stage() -> float:
        con = connect(resolve())
        t0 = time.perf_counter()
        result = apply_eligibility(con, cfg, register_sources(con, cfg.catalog).rows)
        seconds = time.perf_counter() - t0
        if found.setdefault("kept", result.rows_out["documents"]) != result.rows_out["documents"]:
            raise SystemExit("eligibility kept other rows on a second run of the same registry")
        if "plain" not in found:  # read once, after the first run's timing
            found["holders"] = con.execute("SELECT count(DISTINCT person) FROM (SELECT person FROM elig_opted_out "
                                           "UNION ALL SELECT person FROM elig_bans)").fetchone()[0]
            found["plain"] = plain_rules_sql(cfg, removed_structures(con, cfg))
        return seconds

    def plain() -> float:
        con = connect(resolve())
        t0 = time.perf_counter()
        found["kept_plain"] = con.execute(found["plain"]).fetchone()[0]
        return time.perf_counter() - t0

    staged, plained = [stage()], [plain()]  # the first pair: the stage first, as a single run has it
    for i in range(1, pairs):
        if i % 2:
            plained.append(plain())
            staged.append(stage())
        else:
            staged.append(stage())
            plained.append(plain())
    if found["kept_plain"] != found["kept"]:
        raise SystemExit(f"eligibility disagrees with plain SQL: {found['kept']} != {found['kept_plain']}")
    con = connect(resolve())
    t0 = time.perf_counter()
    con.execute(f"""SELECT count(*) FROM '{registry}/documents.parquet' d WHERE NOT EXISTS (SELECT 1 FROM (
        SELECT client_id FROM '{registry}/opt_outs.parquet' UNION ALL
        SELECT client_id FROM '{registry}/disclosure_bans.parquet') x WHERE x.client_id = d.client_id)""").fetchone()
    single = time.perf_counter() - t0
    return {"seconds": statistics.median(staged), "bare": statistics.median(plained), "single": single,
            "first_pair_ratio": round(staged[0] / plained[0], 2), "pairs": pairs,
            "stage_seconds_each": [round(s, 3) for s in staged], "plain_seconds_each": [round(s, 3) for s in plained],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "kept": found["kept"], "choice_holders": found["holders"]}
