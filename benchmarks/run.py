"""`make bench`: time synthesis, each pipeline stage and whole extracts against the bare DuckDB query.

Every measurement runs in its own spawned process so that its peak RSS is its own. Records go to
benchmarks/results.json as {"name", "seconds", "baseline", "baseline_seconds", "ratio", "peak_rss_mb",
"params"}; later capabilities append their own records to the same list.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.eligibility_bench import eligibility
from benchmarks.plain_rules import plain_clients_sql, plain_rules_sql
from extractor.machine import connect, resolve

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "work"
RESULTS = REPO / "benchmarks" / "results.json"
REQUESTS = {"research": REPO / "examples/registry/research_request.toml",
            "audit": REPO / "examples/registry/audit_request.toml"}
KEY = "benchmark-key-not-secret-0123456789abcdef"


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _synth(clients: int, seed: int, out: Path | None = None) -> dict[str, Any]:
    from extractor.synth import registry as synth
    t0 = time.perf_counter()
    counts = synth.generate(out or WORK / "registry", clients, seed)
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": _peak_mb(), "counts": counts}


def _bare(request: str) -> dict[str, Any]:
    """The request's own SQL straight on the raw Parquet files: no eligibility, no pseudonyms, no SDC."""

    from extractor.config.load import load_config
    from extractor.engine.sandbox_functions import duckdb_macros
    cfg = load_config(REQUESTS[request], WORK / "registry")
    t0 = time.perf_counter()
    con = connect(resolve())
    for table in cfg.catalog.tables.values():
        con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM read_parquet('{table.source.path}')")
    for macro in duckdb_macros(cfg.request.as_of):
        con.execute(macro)
    rows = sum(con.sql(sql).to_arrow_table().num_rows for sql in analyst_queries(cfg))
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": _peak_mb(), "rows": rows}


def analyst_queries(cfg: Any, tables: bool = True) -> list[str]:
    """What an analyst runs to get each output as it is published, its protection aside: an aggregate's query
    as it is; a table's (kind "table": its query gives records) the cells with every margin and subtotal the
    extractor publishes, one GROUPING SETS over the records (records, distinct units, magnitude sums) — the
    table itself, not the records it is made from (`tables=False`: the records, for comparison)."""
    from extractor.sql import quote_ident as q

    out = []
    for o in cfg.request.outputs:
        sql = o.query.read_text().strip().rstrip(";")
        if o.table is None or not tables:
            out.append(sql)
            continue
        spec = o.table
        levels = [[group[:k] for k in range(len(group), -1, -1)] for group in spec.groups]
        sets = ", ".join("(" + ", ".join(q(c) for part in combo for c in part) + ")"
                         for combo in itertools.product(*levels))
        dims = ", ".join(q(c) for g in spec.groups for c in g)
        units = f", count(DISTINCT {q(spec.unit)}) AS _units" if spec.unit else ""
        sums = "".join(f", sum({q(m)}) AS {q(m)}" for m in spec.magnitudes)
        out.append(f"SELECT {dims}, count(*) AS _rows{units}{sums} FROM ({sql}) r GROUP BY GROUPING SETS ({sets})")
    return out


def _hand_written(request: str) -> dict[str, Any]:
    """What an analyst would write instead: the rules as plain SQL and the request's own queries in one DuckDB
    plan over the raw Parquet files (views, nothing materialised), no pseudonyms, no ledger, no sandbox, no
    disclosure control. The honest baseline for the price of safety; its kept rows are checked against the
    pipeline's."""
    from extractor.config.load import load_config
    from extractor.eligibility.registers import removed_structures
    from extractor.engine.sandbox_functions import duckdb_macros
    from extractor.sources import register_sources
    cfg = load_config(REQUESTS[request], WORK / "registry")
    con = connect(resolve())
    register_sources(con, cfg.catalog)
    removed = removed_structures(con, cfg)  # the controller's structure list, read as the analyst would
    spill = WORK / "spill_hand_written"  # as the pipeline has: without one the analyst's SQL runs out of memory at 10M
    spill.mkdir(parents=True, exist_ok=True)
    con = connect(resolve(), spill)
    t0 = time.perf_counter()
    for macro in duckdb_macros(cfg.request.as_of):
        con.execute(macro)
    con.execute(f"CREATE VIEW documents AS {plain_rules_sql(cfg, removed, 'd.*')}")
    con.execute(f"CREATE VIEW clients AS {plain_clients_sql(cfg)}")
    con.execute(f"CREATE VIEW registrars AS SELECT * FROM '{WORK / 'registry'}/registrars.parquet'")
    how = "one plan"
    try:
        rows = sum(con.sql(sql).to_arrow_table().num_rows for sql in analyst_queries(cfg))
    except duckdb.OutOfMemoryException as exc:  # at 10M clients, even with the spill folder: the analyst's next try
        failed_after = time.perf_counter() - t0
        t0 = time.perf_counter()
        for view in ("documents", "clients"):
            con.execute(f"CREATE TEMP TABLE {view}_kept AS SELECT * FROM {view}")
            con.execute(f"DROP VIEW {view}")
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM {view}_kept")
        rows = sum(con.sql(sql).to_arrow_table().num_rows for sql in analyst_queries(cfg))
        how = (f"the rules' rows written to tables first, then the queries on them: the one-plan query ran out of "
               f"memory after {failed_after:.1f} s ({str(exc).splitlines()[0]})")
    seconds = time.perf_counter() - t0
    peak = _peak_mb()
    t0 = time.perf_counter()
    for sql in analyst_queries(cfg, tables=False):
        con.sql(sql).to_arrow_table()
    records_only = time.perf_counter() - t0
    kept = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("documents", "clients")}
    return {"seconds": seconds, "peak_rss_mb": peak, "rows": rows, "kept": kept, "records_only": records_only,
            "how": how}


def _floor() -> dict[str, Any]:
    """The least any extract under these rules can cost: the rules as plain SQL, the HMAC pseudonyms and the
    research query fused into one DuckDB plan over the raw files, nothing materialised, no ledger, no
    sandbox. Not a design we can ship (the query would run on a connection that can reach the raw
    files and the key's map); it is here to show what part of the extract's ratio is the work itself."""
    from extractor.config.load import load_config
    from extractor.eligibility.registers import removed_structures
    from extractor.engine.sandbox_functions import duckdb_macros
    from extractor.protect.pseudonym import load_master_key, project_key, sql_pseudonym
    from extractor.sources import register_sources
    cfg = load_config(REQUESTS["research"], WORK / "registry")
    reg, as_of = WORK / "registry", f"DATE '{cfg.request.as_of}'"
    key = project_key(load_master_key(), cfg.request.project)
    con = connect(resolve())
    register_sources(con, cfg.catalog)
    removed = removed_structures(con, cfg)
    con = connect(resolve())
    t0 = time.perf_counter()
    for macro in duckdb_macros(cfg.request.as_of):
        con.execute(macro)
    con.execute(f"CREATE TEMP TABLE m AS SELECT v, {sql_pseudonym('v', 'person')} AS p FROM (SELECT DISTINCT "
                f"client_id AS v FROM '{reg}/clients.parquet')", key.sql_params())
    opted = (f"SELECT client_id FROM '{reg}/opt_outs.parquet' WHERE opted_out_on <= "
             f"DATE '{cfg.request.permit_granted_on}' AND (withdrawn_on IS NULL OR withdrawn_on > {as_of})")
    con.execute(f"CREATE VIEW documents AS SELECT m.p AS client_id, e.service_task FROM "
                f"({plain_rules_sql(cfg, removed, 'd.client_id, d.service_task')}) e JOIN m ON m.v = e.client_id")
    con.execute(f"CREATE VIEW clients AS SELECT m.p AS client_id, c.birth_date, c.sex, c.region, c.death_date "
                f"FROM '{reg}/clients.parquet' c JOIN m ON m.v = c.client_id WHERE c.client_id NOT IN ({opted})")
    rows = sum(con.sql(sql).to_arrow_table().num_rows for sql in analyst_queries(cfg))
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": _peak_mb(), "rows": rows}


def _extract(request: str) -> dict[str, Any]:
    from extractor.config.load import load_config
    from extractor.pipeline import run_extract
    cfg = load_config(REQUESTS[request], WORK / "registry")
    t0 = time.perf_counter()
    result = run_extract(cfg, WORK / "out", KEY.encode())
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": _peak_mb(), "stages": result.timings,
            "kept": {t: n for t, n in result.eligibility.rows_out.items() if t in ("documents", "clients")}}


def _spark_eligibility() -> dict[str, Any]:
    """Sources and eligibility (rules, ledger, checks) on Spark local mode, then the same on DuckDB."""
    import tempfile

    from extractor.config.load import load_config
    from extractor.eligibility.apply import apply_eligibility
    from extractor.engine import spark_sources
    from extractor.engine.spark_connection import SparkConnection
    from extractor.engine.spark_session import spark_session
    from extractor.sources import register_sources
    cfg = load_config(REQUESTS["research"], WORK / "registry")
    scratch = Path(tempfile.mkdtemp(dir=WORK))
    t0 = time.perf_counter()
    con = SparkConnection(spark_session(resolve()), scratch)
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    spark = apply_eligibility(con, cfg, spark_sources.register_sources(con, cfg.catalog).rows)
    seconds = time.perf_counter() - t0
    duck = connect(resolve())
    t0 = time.perf_counter()
    local = apply_eligibility(duck, cfg, register_sources(duck, cfg.catalog).rows)
    base = time.perf_counter() - t0
    if spark.ledger != local.ledger or spark.rows_out != local.rows_out:
        raise SystemExit("the Spark ledger differs from DuckDB's")
    return {"seconds": seconds, "bare": base, "startup": startup, "peak_rss_mb": _peak_mb(),
            "ledger_rows": len(spark.ledger)}


def _extract_on(request: str, engine: str) -> dict[str, Any]:
    import hashlib

    from extractor.config.load import load_config
    from extractor.pipeline import run_extract
    cfg = load_config(REQUESTS[request], WORK / "registry")
    t0 = time.perf_counter()
    result = run_extract(cfg, WORK / f"out_{engine}", KEY.encode(), engine=engine)
    seconds = time.perf_counter() - t0
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(result.release_dir.glob("*.csv"))}
    return {"seconds": seconds, "peak_rss_mb": _peak_mb(), "stages": result.timings, "sha256": hashes}


def _spark(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Spark local mode against the DuckDB path in the same run; the released files must be the same bytes."""
    records = []
    el = _in_child(_spark_eligibility)
    records.append(record("spark_eligibility", el, "the DuckDB eligibility stage (sources, rules, ledger, checks) "
                          "on the same files in the same process; same ledger asserted", el["bare"],
                          dict(params, spark_session_start_seconds=round(el["startup"], 3), master="local[threads]")))
    duck = _in_child(_extract_on, "research", "duckdb")
    spark = _in_child(_extract_on, "research", "spark")
    if duck["sha256"] != spark["sha256"]:
        raise SystemExit(f"Spark released other bytes than DuckDB: {spark['sha256']} != {duck['sha256']}")
    records.append(record("spark_extract", spark, "the same extract with --engine duckdb, same run; released "
                          "files byte-identical (sha256 asserted)", duck["seconds"], dict(
                              params, request=REQUESTS["research"].name, master="local[threads]",
                              spark_stages={k: round(v, 3) for k, v in spark["stages"].items()},
                              duckdb_stages={k: round(v, 3) for k, v in duck["stages"].items()},
                              sha256=spark["sha256"])))
    return records


def _adult() -> list[dict[str, Any]]:
    from benchmarks.anonymity_bench import adult_records
    return adult_records(WORK)


def _scale(rows: int) -> dict[str, Any]:
    from benchmarks.anonymity_bench import scale_record
    return scale_record(rows)


def _sdc() -> dict[str, Any]:
    from benchmarks.sdc_bench import sdc_record
    rec = sdc_record(WORK)
    rec["peak_rss_mb"] = _peak_mb()
    return rec


def _tauargus() -> dict[str, Any]:
    """extractor beside τ-Argus (MOD, OPT, RND, its audit of our pattern); the peer set up in .venv-bench."""
    import subprocess

    subprocess.run(["bash", str(Path(__file__).parent / "tauargus_setup.sh")], check=False)
    from benchmarks.tauargus_bench import sdc_vs_tauargus_record

    return sdc_vs_tauargus_record()


def _freetext() -> list[dict[str, Any]]:
    """Last, in this process: its process pool cannot live in a daemonic child, and is stopped after."""
    from benchmarks.freetext_bench import (
        demo_notes_record,
        freetext_distinct_record,
        freetext_quality_record,
        freetext_record,
    )
    from extractor.freetext.detect import close_pool

    records = []
    try:
        for make in (freetext_quality_record, freetext_record, freetext_distinct_record):
            records.append(make())
            records[-1]["peak_rss_mb"] = _peak_mb()
        records.append(demo_notes_record(records[-1]))
        records[-1]["peak_rss_mb"] = _peak_mb()
    finally:
        close_pool()
    return records


def _airlock() -> list[dict[str, Any]]:
    from benchmarks.airlock_bench import airlock_record, audit_log_record

    return [airlock_record(WORK), audit_log_record(WORK)]


def _in_child(fn: Any, *args: Any) -> Any:
    """A fresh spawned process per measurement; one killed (say, out of memory) fails the bench, not hangs it."""
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def record(name: str, m: dict[str, Any], baseline: str | None, base_s: float | None, params: dict) -> dict:
    ratio = round(m["seconds"] / base_s, 2) if base_s else None
    return {"name": name, "seconds": round(m["seconds"], 3), "baseline": baseline,
            "baseline_seconds": None if base_s is None else round(base_s, 3), "ratio": ratio,
            "peak_rss_mb": m.get("peak_rss_mb"), "params": params}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", choices=["all", "extract", "anonymity", "sdc", "freetext", "spark", "airlock",
                                           "researcher", "postgres", "omop"],
                        default="all")
    parser.add_argument("--scale", help="comma-separated client counts: extract and extract_audit at each size "
                        "(records scale_<request>_<clients>), then benchmarks/scaling.png")
    parser.add_argument("--omop-copies", type=int, default=20, help="omop_extract_*_xN: Eunomia copied N times")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ["EXTRACTOR_KEY"] = KEY
    if args.scale:
        _write(_scaling([int(n) for n in args.scale.split(",")], args.seed))
        return
    records: list[dict] = []
    if args.only in ("all", "anonymity"):
        records += _in_child(_adult)
        records.append(_in_child(_scale, min(10 * args.clients, 10_000_000)))  # the record is "anonymity_10m"
    if args.only in ("all", "sdc"):
        records.append(_in_child(_sdc))
        records.append(_in_child(_tauargus))
    if args.only == "freetext":
        records += _freetext()
    if args.only in ("all", "omop"):
        from benchmarks.omop_bench import omop_records

        records += omop_records(REPO, WORK, KEY, _in_child, args.omop_copies)
    if args.only in ("all", "airlock"):
        records += _in_child(_airlock)
    if args.only in ("all", "researcher"):
        from benchmarks.researcher_bench import records as researcher_records

        records += researcher_records()
    if args.only in ("anonymity", "sdc", "freetext", "airlock", "researcher", "omop"):
        _write(records)
        return
    syn = _in_child(_synth, args.clients, args.seed)
    limits = resolve()
    params = {"clients": args.clients, "documents": syn["counts"]["documents"], "seed": args.seed,
              "threads": limits.threads, "memory_limit": limits.memory_limit}
    # The target: 1M clients / 10M documents in under 2 minutes, scaled to the size asked for.
    target = 120.0 * args.clients / 1_000_000
    records.append(record("synth", syn, f"target: 120 s per 1M clients ({target:.1f} s here)", target, params))
    if args.only in ("spark", "postgres"):
        made = _spark(params) if args.only == "spark" else [_postgres(params)]
        _write([{**r, "name": r["name"] if args.clients == 1_000_000 else f"{r['name']}_{args.clients}"}
                for r in made])
        return
    records.append(_eligibility_record("eligibility", WORK / "registry", params))
    if args.clients != SMALL:  # "at every size": the fixed costs weigh most on a small registry
        small = _in_child(_synth, SMALL, args.seed, WORK / f"registry_{SMALL}")
        records.append(_eligibility_record(f"eligibility_{SMALL}", WORK / f"registry_{SMALL}", dict(
            params, clients=SMALL, documents=small["counts"]["documents"]), pairs=5))
    for request in ("research", "audit"):
        bare = _in_child(_bare, request)
        ext = _in_child(_extract, request)
        label = f"bare DuckDB query of the {request} aggregate on the raw Parquet files"
        hand = _in_child(_hand_written, request)
        if hand["kept"] != ext["kept"]:
            raise SystemExit(f"hand-written rules keep other rows than the pipeline: {hand['kept']} != {ext['kept']}")
        p = dict(params, request=REQUESTS[request].name)
        name = "extract" if request == "research" else f"extract_{request}"
        records.append(record(name, ext, label, bare["seconds"], dict(
            p, over_hand_written=round(ext["seconds"] / hand["seconds"], 2), hand_written_seconds=round(
                hand["seconds"], 3), stages={k: round(v, 3) for k, v in ext["stages"].items()})))
        hand_name = "hand_written" if request == "research" else f"hand_written_{request}"
        records.append(record(hand_name, hand, label,
                              bare["seconds"], dict(p, what="the rules as plain SQL views and the request's queries "
                                                    "in one DuckDB plan on the raw files (a table output's cells "
                                                    "and margins as one GROUPING SETS over its records); no "
                                                    "pseudonyms, ledger, sandbox or disclosure control",
                                                    kept=hand["kept"], how=hand["how"],
                                                    tables_left_as_records_seconds=round(hand["records_only"], 3))))
        records.append(record(f"{name}_vs_hand_written", ext, f"{hand_name}: the analyst's own SQL of the same "
                              "rules and queries, same run", hand["seconds"], p))
        if request == "research":
            floor = _in_child(_floor)
            records.append(record("extract_floor", floor, label, bare["seconds"], dict(
                p, extract_over_floor=round(ext["seconds"] / floor["seconds"], 2), what="the rules as plain SQL, HMAC "
                "pseudonyms and the query in one DuckDB plan; nothing materialised, no ledger, no sandbox")))
            for stage, seconds in ext["stages"].items():
                records.append(record(f"stage_{stage}", {"seconds": seconds}, label, bare["seconds"], p))
    if args.only == "all":  # `--only extract`: the extracts and their baselines alone
        records += _spark(params)
        records.append(_postgres(params))
        records += _freetext()
    _write(records)


SMALL = 100_000


def _eligibility_record(name: str, registry: Path, params: dict[str, Any], pairs: int = 3) -> dict[str, Any]:
    el = _in_child(eligibility, REQUESTS["research"], registry, pairs)
    return record(name, el, "plain DuckDB anti-joins (one NOT EXISTS per rule) of the same rules on the same files, "
                  "same process; medians of pairs run alternately, each on a fresh connection; same kept count "
                  "asserted", el["bare"], dict(
                      params, share_with_ban_or_opt_out=round(el["choice_holders"] / params["clients"], 4),
                      documents_kept=el["kept"], pairs=el["pairs"], first_pair_ratio=el["first_pair_ratio"],
                      stage_seconds_each=el["stage_seconds_each"], plain_seconds_each=el["plain_seconds_each"],
                      single_column_anti_join_seconds=round(el["single"], 3),
                      rules="opt_out, disclosure_ban x3, retention, structure_state + ledger + checks"))


def _postgres(params: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.postgres_bench import postgres_record

    return postgres_record(REPO, WORK, KEY, _in_child, params)


def _scaling(sizes: list[int], seed: int) -> list[dict]:
    """Both extracts at each size, each beside its bare query and the hand-written SQL of the same rules,
    measured right after the same synthesis."""
    records = []
    for clients in sizes:
        syn = _in_child(_synth, clients, seed)
        for request in ("research", "audit"):
            bare = _in_child(_bare, request)
            try:
                hand = _in_child(_hand_written, request)
            except duckdb.Error as exc:  # at 10M the analyst's plain SQL runs out of memory: said, not fatal
                hand = {"seconds": None, "peak_rss_mb": None, "failed": str(exc).splitlines()[0]}
            ext = _in_child(_extract, request)
            if "failed" not in hand and hand["kept"] != ext["kept"]:
                raise SystemExit(f"hand-written rules keep other rows: {hand['kept']} != {ext['kept']}")
            label = f"bare DuckDB query of the {request} aggregate on the raw Parquet files"
            records.append(record(f"scale_{request}_{clients}", ext, label, bare["seconds"], {
                "clients": clients, "documents": syn["counts"]["documents"], "request": REQUESTS[request].name,
                "bare_peak_rss_mb": bare["peak_rss_mb"], "hand_written_peak_rss_mb": hand["peak_rss_mb"],
                "hand_written_seconds": hand["seconds"] and round(hand["seconds"], 3),
                **({"hand_written_how": hand["how"]} if hand.get("how", "one plan") != "one plan" else {}),
                "over_hand_written": hand["seconds"] and round(ext["seconds"] / hand["seconds"], 2),
                **({"hand_written_failed": hand["failed"]} if "failed" in hand else {}),
                "stages": {k: round(v, 3) for k, v in ext["stages"].items()}}))
    return records


def _write(records: list[dict]) -> None:
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    names = {r["name"] for r in records}
    merged = [r for r in existing if r["name"] not in names] + records
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps(records, indent=2))


if __name__ == "__main__":
    main()
