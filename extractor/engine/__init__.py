"""Where row-level SQL runs: DuckDB, embedded (the default), or Apache Spark, to scale out.

The stages that see every record (sources, eligibility, protect, the researcher's query) write their SQL
once, in DuckDB's dialect; on Spark each statement is parsed and transpiled by SQLGlot
(`spark_connection.py`), so there is no second copy of a rule to keep in step. What is small after
aggregation (disclosure control, the checker, reports) stays local in Polars and DuckDB.
"""

from __future__ import annotations

ENGINES = ("duckdb", "spark")


def is_spark(con: object) -> bool:
    """True for the Spark connection adapter; the stages ask this only where Spark needs another way
    (files, pseudonyms, the sandbox), never for a rule."""
    from extractor.engine.spark_connection import SparkConnection

    return isinstance(con, SparkConnection)
