"""What this process may really use: threads and memory, from the cgroup limits inside a container, else the
machine's CPUs and physical memory; overridden by an option or an environment variable.

The one place where DuckDB (and the Polars thread pool of `synth`) is sized: a 64-core server uses its
cores, a 4 GB laptop is not promised 8 GB. The memory default is half of what the process may use, so
that Python, Polars frames and the page cache keep room beside DuckDB, which spills past its limit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb

from extractor.errors import ExtractorError
from extractor.i18n import N_

MEMORY_SHARE = 0.5  # of the process's memory limit, for DuckDB
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
          "t": 1000**4, "tb": 1000**4, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
_CGROUP = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Limits:
    """Threads and memory for the run, and where each figure came from (stated in the review report)."""

    threads: int
    memory_bytes: int
    temp_dir: Path | None  # a folder for spill and scratch files instead of the output's .extractor/work
    threads_from: str
    memory_from: str

    @property
    def memory_limit(self) -> str:
        """DuckDB's memory_limit setting, in whole MiB."""
        return f"{max(self.memory_bytes // 2**20, 64)}MiB"

    def describe(self) -> str:
        return (f"{self.threads} thread(s) ({self.threads_from}), DuckDB memory limit {self.memory_limit} "
                f"({self.memory_from})")


def parse_size(text: str, where: str) -> int:
    """'16GB', '512MiB', '4g', '1073741824' -> bytes; anything else is a one-line error naming `where`."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower() if match else None
    if not match or unit not in _UNITS or float(match.group(1)) <= 0:
        raise ExtractorError(f"{where}: expected a memory size such as 16GB, 512MiB or 4g, got {text!r}")
    return int(float(match.group(1)) * _UNITS[unit])


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return None


def cpu_limit(root: Path = _CGROUP) -> tuple[int, str]:
    """CPUs this process may run on: affinity, narrowed by a cgroup CPU quota (v2 cpu.max or v1 cfs)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = None
    v2 = _read(root / "cpu.max")
    if v2 and not v2.startswith("max"):
        limit, period = v2.split()[:2]
        quota = int(limit) / int(period)
    v1_quota, v1_period = _read(root / "cpu" / "cpu.cfs_quota_us"), _read(root / "cpu" / "cpu.cfs_period_us")
    if quota is None and v1_quota and v1_period and int(v1_quota) > 0:
        quota = int(v1_quota) / int(v1_period)
    if quota is not None and quota < cpus:
        return max(1, int(quota)), N_("the container's CPU quota")
    return max(1, cpus), N_("the CPUs this process may use")


HALF_OF = {N_("the container's memory limit"): N_("half of the container's memory limit"),
           N_("physical memory"): N_("half of physical memory")}


def memory_available(root: Path = _CGROUP) -> tuple[int, str]:
    """Bytes this process may use: physical memory, narrowed by a cgroup memory limit (v2 or v1)."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for file in (root / "memory.max", root / "memory" / "memory.limit_in_bytes"):
        value = _read(file)
        if value and value.isdigit() and 0 < int(value) < physical:
            return int(value), N_("the container's memory limit")
    return physical, N_("physical memory")


def resolve(threads: int | None = None, memory_limit: str | None = None, temp_dir: Path | None = None,
            env: Mapping[str, str] | None = None, cgroup: Path = _CGROUP) -> Limits:
    """Option, else EXTRACTOR_THREADS / EXTRACTOR_MEMORY_LIMIT / EXTRACTOR_TEMP_DIR, else the machine."""
    env = os.environ if env is None else env
    if threads is not None:
        threads_from = "--threads"
    elif env.get("EXTRACTOR_THREADS"):
        text = env["EXTRACTOR_THREADS"]
        if not text.strip().isdigit() or int(text) < 1:
            raise ExtractorError(f"EXTRACTOR_THREADS: expected a whole number of threads >= 1, got {text!r}")
        threads, threads_from = int(text), "EXTRACTOR_THREADS"
    else:
        threads, threads_from = cpu_limit(cgroup)
    if threads < 1:
        raise ExtractorError(f"--threads: expected a whole number of threads >= 1, got {threads}")
    if memory_limit is not None:
        memory, memory_from = parse_size(memory_limit, "--memory-limit"), "--memory-limit"
    elif env.get("EXTRACTOR_MEMORY_LIMIT"):
        memory = parse_size(env["EXTRACTOR_MEMORY_LIMIT"], "EXTRACTOR_MEMORY_LIMIT")
        memory_from = "EXTRACTOR_MEMORY_LIMIT"
    else:
        available, source = memory_available(cgroup)
        memory, memory_from = int(available * MEMORY_SHARE), HALF_OF[source]
    folder = temp_dir if temp_dir is not None else (Path(env["EXTRACTOR_TEMP_DIR"])
                                                    if env.get("EXTRACTOR_TEMP_DIR") else None)
    return Limits(threads, memory, folder, threads_from, memory_from)


def connect(limits: Limits, spill: Path | None = None, lock: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection sized by `limits`. Locked: no file or network access and no setting can
    change, for connections that run SQL built from a request's names (sizing and spill folder are set first:
    DuckDB refuses a temp_directory once external access is off)."""
    con = duckdb.connect(config=duckdb_config(limits, spill))
    quiet(con)
    if lock:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con


@lru_cache(maxsize=4)
def _locked_database(limits: Limits, spill: Path | None) -> duckdb.DuckDBPyConnection:
    return connect(limits, spill, lock=True)


def locked_cursor(limits: Limits, spill: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A connection of its own to one locked in-memory database per process and sizing: opening a database costs
    ~13 ms (its catalog, its thread pool), and a run controls each of its tables on one (a hundred tables, a
    second and a half). Temp tables and registered frames are the connection's own, so tables controlled side
    by side do not meet; the lock (no file or network access, no setting changed) is the database's."""
    return _locked_database(limits, spill).cursor()


def quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar of DuckDB's own: it printed to standard output over the CLI's progress, the lines a
    command prints and the logs, for every query longer than two seconds. Set before a lock; cursors inherit it."""
    con.execute("SET enable_progress_bar = false")


def duckdb_config(limits: Limits, spill: Path | None = None) -> dict[str, str | int]:
    """The connection settings every DuckDB connection that touches row-level data is opened with."""
    config: dict[str, str | int] = {"threads": limits.threads, "memory_limit": limits.memory_limit}
    if spill is not None:
        config["temp_directory"] = str(spill)
    return config
