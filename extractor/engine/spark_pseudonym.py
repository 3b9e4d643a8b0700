"""Pseudonyms and date shifts on Spark: the same HMAC-SHA256 as DuckDB's, in an Arrow-vectorised pandas UDF.

The UDF calls ProjectKey's own reference methods, so the values are those of the DuckDB path by
construction (a test compares them). The derived project key travels inside the UDF's pickled closure,
to the Python workers only: it is never a SQL literal or parameter, so it appears in no query plan,
event log or UI (a test searches them). One pseudonym per distinct value, then joined, as on DuckDB.
"""

from typing import TYPE_CHECKING

from extractor.engine.spark_connection import SparkConnection

if TYPE_CHECKING:
    from extractor.protect.pseudonym import ProjectKey


def pseudonym_table(con: SparkConnection, name: str, values_sql: str, domain: str, key: "ProjectKey",
                    shift_days: int) -> None:
    """Temp view `name`(v, p[, shift]) over the distinct non-null values of `values_sql`'s column v."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("string")  # type: ignore[call-overload]  # (real annotations: pandas_udf reads them)
    def pseudonym(values: pd.Series) -> pd.Series:
        return values.map(lambda v: key.pseudonym(domain, v))

    @pandas_udf("int")  # type: ignore[call-overload]
    def shift(values: pd.Series) -> pd.Series:
        return values.map(lambda v: key.date_shift(v, shift_days)).astype("int32")

    distinct = con.frame(f"SELECT DISTINCT v FROM ({values_sql}) WHERE v IS NOT NULL")
    columns = [distinct["v"], pseudonym(distinct["v"]).alias("p")]
    if shift_days:
        columns.append(shift(distinct["v"]).alias("shift"))
    con.materialise(name, distinct.select(*columns))
