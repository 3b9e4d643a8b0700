"""`airlock_load`: the web airlock under many users at once, on loopback, against its own quiet-server figures.

A real `extractor serve` process over an output root with the example requests run several times (a 1,900-row
audit table among them). Fifty signed-in users browse the queue and run pages for 60 s, each waiting 0.5-1.5 s
between pages as a person reading does, while checkers post decisions at the same time. Recorded: errors
(5xx, dropped connections, any answer but the expected ones), p50/p95 per page kind, throughput, decisions
made, and the audit chain verified afterwards. The baseline is the same pages loaded by one user with the
server otherwise idle, measured in the same run.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

USERS, SECONDS, CHECKERS = 50, 60.0, 40
PASSWORD = "benchmark password 1"
TARGETS = {"queue_p95_s": 0.5, "run_p95_s": 1.0}


def _world(work: Path, clients: int) -> tuple[Path, list[str]]:
    import shutil

    from extractor.config.load import load_config
    from extractor.pipeline import run_extract
    from extractor.release.accounts import add_account, grant
    from extractor.release.store import opened
    from extractor.synth import registry as synth

    repo = Path(__file__).resolve().parent.parent / "examples" / "registry"
    registry, out = work / "airlock-registry", work / "airlock-out"
    for left in (out, work / "airlock-released"):  # a run that stopped half-way leaves its accounts and runs
        shutil.rmtree(left, ignore_errors=True)
    synth.generate(registry, clients, 2026)
    runs = []
    for name, times in (("audit_request.toml", 2), ("research_request.toml", 6), ("microdata_request.toml", 2)):
        cfg = load_config(repo / name, registry)
        runs += [run_extract(cfg, out, os.environ["EXTRACTOR_KEY"].encode()).run_id for _ in range(times)]
    with opened(out) as store:
        for i in range(USERS):
            name = f"user{i:02d}"
            add_account(store, name, PASSWORD, admin=i == 0)
            if 0 < i < CHECKERS:
                grant(store, name, "*", "checker")
            elif i >= CHECKERS:
                grant(store, name, "disability-services-study", "requester")
    return out, runs


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _sign_in(client: Any, user: str) -> str:
    token = re.search(r'name="login_csrf" value="([^"]+)"', (await client.get("/login")).text).group(1)
    response = await client.post("/login", data={"user": user, "password": PASSWORD, "login_csrf": token})
    assert response.status_code == 303, response.text
    return re.search(r'name="csrf" value="([^"]+)"', (await client.get("/")).text).group(1)


async def _browse(base: str, user: str, runs: list[str], until: float, seen: dict[str, list], errors: list,
                  decider: bool) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        csrf = await _sign_in(client, user)
        rng = random.Random(user)
        while time.monotonic() < until:
            kind = rng.choice(("queue", "run", "run", "decide")) if decider else rng.choice(("queue", "run"))
            run = rng.choice(runs)
            t0 = time.perf_counter()
            try:
                if kind == "decide":
                    r = await client.post(f"/runs/{run}/decide", data={"decision": "approve", "csrf": csrf})
                    ok = r.status_code in (303, 409)  # 409: already decided, or no longer awaiting review
                else:
                    r = await client.get("/" if kind == "queue" else f"/runs/{run}")
                    ok = r.status_code in (200, 404)  # 404: a requester looking at another project's run
            except httpx.HTTPError as exc:
                errors.append(f"{kind}: {type(exc).__name__}")
                continue
            seen[kind].append((time.perf_counter() - t0, r.status_code))
            if not ok:
                errors.append(f"{kind}: {r.status_code}")
            await asyncio.sleep(rng.uniform(0.5, 1.5))


async def _quiet(base: str, runs: list[str]) -> dict[str, list[float]]:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await _sign_in(client, "user01")
        times: dict[str, list[float]] = {"queue": [], "run": []}
        for i in range(20):
            for kind, path in (("queue", "/"), ("run", f"/runs/{runs[i % len(runs)]}")):
                t0 = time.perf_counter()
                assert (await client.get(path)).status_code == 200
                times[kind].append(time.perf_counter() - t0)
        return times


def _p(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100)[q - 1], 3) if len(values) > 1 else round(values[0], 3)


def airlock_record(work: Path, clients: int = 20_000) -> dict[str, Any]:
    from extractor.release.verify import verify_store

    out, runs = _world(work, clients)
    port = _port()
    server = subprocess.Popen([sys.executable, "-m", "extractor.cli", "serve", "--out", str(out), "--to",
                               str(work / "airlock-released"), "--port", str(port)], stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        quiet = asyncio.run(_quiet(base, runs))
        seen: dict[str, list] = {"queue": [], "run": [], "decide": []}
        errors: list[str] = []

        async def everyone() -> None:
            until = time.monotonic() + SECONDS
            await asyncio.gather(*(_browse(base, f"user{i:02d}", runs, until, seen, errors, 0 < i < 11)
                                   for i in range(USERS)))

        t0 = time.perf_counter()
        asyncio.run(everyone())
        elapsed = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(30)
    verified = verify_store(out)
    load = {k: [t for t, _ in v] for k, v in seen.items()}
    figures = {"queue_p50_s": _p(load["queue"], 50), "queue_p95_s": _p(load["queue"], 95),
               "run_p50_s": _p(load["run"], 50), "run_p95_s": _p(load["run"], 95),
               "decide_p95_s": _p(load["decide"], 95)}
    baseline = {"queue_p95_s": _p(quiet["queue"], 95), "run_p95_s": _p(quiet["run"], 95)}
    return {"name": "airlock_load", "seconds": round(elapsed, 1),
            "baseline": "the same pages by one user on the idle server, same run (p95 seconds)",
            "baseline_seconds": baseline["run_p95_s"], "ratio": round(figures["run_p95_s"] / baseline["run_p95_s"], 2),
            "peak_rss_mb": None,
            "params": {"users": USERS, "think_seconds": "0.5-1.5", "runs": len(runs), "clients": clients,
                       "requests": sum(len(v) for v in seen.values()), "errors": len(errors),
                       "error_kinds": sorted(set(errors))[:5],
                       "decisions_recorded": sum(1 for _, s in seen["decide"] if s == 303),
                       "throughput_per_s": round(sum(len(v) for v in seen.values()) / elapsed, 1),
                       **figures, "quiet": baseline, "targets": TARGETS,
                       "targets_met": all(figures[k] <= v for k, v in TARGETS.items()) and not errors,
                       "audit_verified_records": verified.records}}


def _wait(base: str) -> None:
    import httpx

    for _ in range(400):
        try:
            httpx.get(base + "/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("the airlock did not start")


def _append_many(out: str, n: int) -> None:
    from extractor.release.store import opened

    with opened(Path(out)) as store:
        for i in range(n):
            with store.writing() as w:
                w.append("check", {"i": i, "folder": "bench"})


def audit_log_record(work: Path, records: int = 10_000, writers: int = 4) -> dict[str, Any]:
    """What a log of `records` costs each command that opens the store (verify the chain, fold the state),
    against reading the same rows with one bare SELECT; and appends per second with `writers` processes."""
    import multiprocessing as mp
    import shutil
    import sqlite3

    from extractor.release.airlock_state import AirlockState
    from extractor.release.state_db import StateDB, locate
    from extractor.release.verify import verify_store

    out = work / "audit-log-out"
    shutil.rmtree(out, ignore_errors=True)
    _append_many(str(out), 1)
    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_append_many, args=(str(out), records // writers)) for _ in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    append_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    con = sqlite3.connect(out / ".extractor" / "state.sqlite")
    con.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
    con.close()
    bare = time.perf_counter() - t0
    db = StateDB(locate(out))
    t0 = time.perf_counter()
    state = AirlockState.load(db)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    verified = verify_store(out)
    full = time.perf_counter() - t0
    db.close()
    return {"name": "audit_log_open", "seconds": round(load, 3),
            "baseline": "the same rows read by one bare SELECT (sqlite3), same run", "baseline_seconds": round(bare, 3),
            "ratio": round(load / bare, 1), "peak_rss_mb": None,
            "params": {"records": state.count, "verify_all_signatures_and_witnesses_s": round(full, 3),
                       "appends_per_s_with_writers": round(records / append_s, 1), "writers": writers,
                       "store": "sqlite (WAL)", "verified": verified.records}}
