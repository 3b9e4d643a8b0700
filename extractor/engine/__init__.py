"""Where row-level SQL runs: DuckDB, embedded (the default), or Apache Spark, to scale out.

The stages that see every record (sources, eligibility, protect, the researcher's query) write their SQL
once, in DuckDB's dialect; on Spark each statement is parsed and transpiled by SQLGlot
(`spark_connection.py`), so there is no second copy of a rule to keep in step. What is small after
aggregation (disclosure control, the checker, reports) stays local in Polars and DuckDB.
"""

from __future__ import annotations

import sys

ENGINES = ("duckdb", "spark")


def is_spark(con: object) -> bool:
    """True for the Spark connection adapter; the stages ask this only where Spark needs another way
    (files, pseudonyms, the sandbox), never for a rule. A DuckDB run does not import the adapter (and SQLGlot
    with it) to ask: no Spark connection can exist before its module is loaded."""
    module = sys.modules.get("extractor.engine.spark_connection")
    return module is not None and isinstance(con, module.SparkConnection)
