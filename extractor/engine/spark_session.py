"""The SparkSession a run uses: local mode sized like DuckDB, a cluster by URL, or Spark Connect.

Local mode (`local[N]`, N = the threads the machine or container allows) is the default and what the
tests run; `--spark-master URL` joins a cluster; SPARK_REMOTE (Spark Connect) is honoured by pyspark
itself. Spill goes to a private folder of the process (under --temp-dir if given). The UI is off unless asked for
(EXTRACTOR_SPARK_UI=1): a trusted research environment serves no web pages from its workers. Time is
UTC, as in DuckDB, so that dates and timestamps read the same on both engines.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from extractor.errors import ExtractorError
from extractor.machine import Limits

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


def spark_config(limits: Limits, spill: Path, event_log: Path | None = None) -> dict[str, str]:
    conf = {
        "spark.driver.memory": f"{max(limits.memory_bytes // 2**20, 512)}m",
        "spark.local.dir": str(spill),
        # Spark's catalog makes its warehouse folder on first use (listing the run's views does): in the
        # process's private folder, not a `spark-warehouse` left in whatever folder the user ran from.
        "spark.sql.warehouse.dir": (spill / "warehouse").as_uri(),
        "spark.sql.shuffle.partitions": str(max(2, 2 * limits.threads)),
        # A run's stages, and the runs of one process (the airlock's), repeat the same query shapes: with
        # Spark's default of 100 generated classes kept, Janino recompiled them (a third of the JVM's CPU
        # in the Spark tests, most of it class lookups in the jars); a class costs tens of kilobytes.
        "spark.sql.codegen.cache.maxEntries": "1000",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.timestampType": "TIMESTAMP_NTZ",
        "spark.sql.autoBroadcastJoinThreshold": "256m",  # people's choices (elig_blocks) go to every executor
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "true" if os.environ.get("EXTRACTOR_SPARK_UI") == "1" else "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}",
    }
    if event_log is not None:
        event_log.mkdir(parents=True, exist_ok=True)
        conf |= {"spark.eventLog.enabled": "true", "spark.eventLog.dir": event_log.as_uri(),
                 "spark.eventLog.compress": "false"}  # plain JSON lines: an auditor can search it
    return conf


def _spill_folder(limits: Limits) -> Path:
    """Spark's local dir, one per process (the session outlives a run's scratch folder): under --temp-dir
    if given, owner-only, removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="extractor-spark-", dir=limits.temp_dir))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """File descriptor 2 pointed at `path` while the JVM starts: the JVM inherits it and writes its banner
    ("Using incubator modules", "Setting default log level") there for its whole life, not before a
    command's one-line error. Python's own stderr is given back at once."""
    sys.stderr.flush()
    saved = os.dup(2)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(log, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(log)


def spark_session(limits: Limits, master: str | None = None, event_log: Path | None = None) -> SparkSession:
    """The process's session, started on first use (a few seconds) and reused by later runs."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ExtractorError("--engine spark needs pyspark: pip install 'extractor[spark]'") from None
    if not os.environ.get("SPARK_REMOTE") and not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise ExtractorError("--engine spark needs Java 17 or later: install a JRE (Debian: openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession as Active

    if Active.getActiveSession() is not None:
        return Active.getActiveSession()
    spill = _spill_folder(limits)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers run this Python, with its packages
    builder = SparkSession.builder.appName("extractor")
    if not os.environ.get("SPARK_REMOTE"):
        builder = builder.master(master or f"local[{limits.threads}]")
    for key, value in spark_config(limits, spill, event_log).items():
        builder = builder.config(key, value)
    try:
        with _stderr_to(spill / "jvm.log"):  # the JVM's banner and warnings: an error stays one line
            session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - py4j and Connect raise their own types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExtractorError(f"Spark did not start: {first}") from None
    if not os.environ.get("SPARK_REMOTE"):
        session.sparkContext.setLogLevel("ERROR")
    return session
