"""--engine spark releases the same bytes as DuckDB, and the key never reaches Spark's plans or logs.

One Spark session (local[2]) for the module, its event log on, so that every plan Spark ran can be
searched for key material afterwards. Slow (a JVM, a few seconds per run): marked, run by `make test`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_eligibility_property import days, worlds

from builders import World, write_world
from conftest import REPO, TEST_KEY
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.machine import resolve
from extractor.pipeline import run_extract
from extractor.protect.pseudonym import project_key
from extractor.reports.transparency import read_persons

pytestmark = pytest.mark.slow
DEMO = ["audit_request", "research_request", "microdata_request", "notes_request"]


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's Spark session, started with its event log on (later runs reuse the session); one
    started without it by an earlier test file in this worker is stopped first."""
    from pyspark.sql import SparkSession

    from extractor.engine.spark_session import spark_session

    active = SparkSession.getActiveSession()
    if active is not None and active.conf.get("spark.eventLog.enabled", "false") != "true":
        active.stop()
    folder = tmp_path_factory.mktemp("spark-events")
    spark_session(resolve(threads=2), event_log=folder)
    return folder


def _released(result) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(result.release_dir.glob("*.csv"))}


def _persons(result) -> pl.DataFrame:
    return read_persons(result.run_dir, TEST_KEY.encode()).sort("person")


@pytest.mark.parametrize("request_file", DEMO)
def test_demo_requests_release_the_same_bytes_on_both_engines(events: Path, registry: Path, tmp_path: Path,
                                                              request_file: str) -> None:
    from pyspark.sql import SparkSession

    cfg = load_config(REPO / "examples" / "registry" / f"{request_file}.toml", registry)
    duck = run_extract(cfg, tmp_path / "duckdb", TEST_KEY.encode())
    spark = run_extract(cfg, tmp_path / "spark", TEST_KEY.encode(), engine="spark")
    assert _released(spark) == _released(duck)
    assert len(_released(duck)) >= 2
    assert spark.eligibility.ledger == duck.eligibility.ledger
    assert spark.eligibility.rows_out == duck.eligibility.rows_out
    assert spark.protected.rows == duck.protected.rows
    assert _persons(spark).equals(_persons(duck))  # every person's pseudonym and the choices that left them out
    assert _redactions(spark) == _redactions(duck)  # the notes: what was found and changed, per column
    context = SparkSession.getActiveSession().sparkContext  # later jobs are not labelled as the query's
    assert context.getLocalProperty("spark.job.description") is None
    assert context.getLocalProperty("spark.jobGroup.id") is None


def _redactions(result) -> list[tuple]:
    return [(r.table, r.column, r.texts, r.distinct, r.changed, r.entities, r.languages, r.dates, r.dates_mode)
            for r in result.protected.redacted]


def _outcome(cfg, out: Path, engine: str) -> tuple:
    try:
        result = run_extract(cfg, out, TEST_KEY.encode(), engine=engine)
    except ExtractorError as exc:
        return ("refused", str(exc).replace(str(out), "OUT"))
    ledger = [(r.table, r.rule, r.rows, r.persons) for r in result.eligibility.ledger]
    return ("released", _released(result), ledger, _persons(result).rows())


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(w=worlds(), as_of=days, granted=days, consent=st.booleans())
def test_random_registries_give_the_same_ledger_pseudonyms_and_tables(events: Path, w: World, as_of, granted,
                                                                       consent: bool) -> None:
    study = "S1" if consent else None
    with tempfile.TemporaryDirectory() as tmp:
        request = write_world(w, Path(tmp) / "world", as_of=as_of, granted=granted, study=study,
                              purpose="consented_research" if consent else "research",
                              query="SELECT service_task, count(*) AS n FROM documents GROUP BY ALL")
        cfg = load_config(request, today=dt.date(2026, 11, 1))
        assert _outcome(cfg, Path(tmp) / "duckdb", "duckdb") == _outcome(cfg, Path(tmp) / "spark", "spark")


def _key_material(projects: list[str]) -> dict[str, bytes]:
    """Every form in which the key could leak: master, derived project keys, HMAC pads, hex and base64."""
    material = {"master": TEST_KEY.encode(), "master hex": TEST_KEY.encode().hex().encode()}
    for project in projects:
        key = project_key(TEST_KEY.encode(), project)
        material[f"{project} key hex"] = key._key.hex().encode()
        material[f"{project} key base64"] = base64.b64encode(key._key)
        for name, pad in key.sql_params().items():
            material[f"{project} {name} hex"] = pad.hex().encode()
    return material


def _bytes(path: Path) -> bytes:
    """A file's bytes; none when Spark's cleaner removed it (an old job's shuffle file) since it was listed."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def test_the_key_is_in_no_plan_and_no_event_log(events: Path, registry: Path, tmp_path: Path) -> None:
    from pyspark.sql import SparkSession

    from extractor.engine.spark_connection import SparkConnection
    from extractor.engine.spark_pseudonym import pseudonym_table

    cfg = load_config(REPO / "examples" / "registry" / "research_request.toml", registry)
    run_extract(cfg, tmp_path / "out", TEST_KEY.encode(), engine="spark")
    spark = SparkSession.getActiveSession()
    con = SparkConnection(spark, tmp_path)
    key = project_key(TEST_KEY.encode(), "project")
    con.spark.sql("SELECT 'C1' AS v UNION ALL SELECT 'C2'").createOrReplaceTempView("vals")
    pseudonym_table(con, "pseudo_test", "SELECT v FROM vals", "person", key, 30)
    frame = spark.table("pseudo_test")
    plans = frame._jdf.queryExecution().toString() + spark.sql("EXPLAIN EXTENDED SELECT * FROM pseudo_test").first()[0]
    assert frame.where("v = 'C1'").first()["p"] == key.pseudonym("person", "C1")  # the same value as DuckDB's
    spark.sql("SELECT 'canary-literal-7f3a' AS c").collect()  # a secret sent as SQL would be seen: this is
    logs = b"".join(p.read_bytes() for p in events.rglob("*") if p.is_file())
    assert b"SparkListenerSQLExecutionStart" in logs and b"canary-literal-7f3a" in logs
    written = [p for folder in (tmp_path / "out", Path(spark.conf.get("spark.local.dir")))
               for p in folder.rglob("*") if p.is_file()]  # the run's files and Spark's spill and shuffle files
    assert written
    for name, secret in _key_material(["project", cfg.request.project]).items():
        assert secret not in logs, f"{name} in Spark's event log"
        assert secret.decode("latin-1") not in plans, f"{name} in the query plan"
        assert not [p for p in written if secret in _bytes(p)], f"{name} in a file"
