"""An aggregate's count columns are counts and its dimensions categories, read from the query's SQL alone.

The attacks: a count scaled (count(*) * 1000) or shifted (+ 1) passes rounding and the small-count rule with
the true count recoverable; a per-client maximum declared as a count publishes one client's value; a dimension
built by string_agg publishes every person of a cell. Each is refused before anything is released, in one line
naming the key (from the SQL alone: no value of the data in it); the ordinary forms (a count, a sum of counts
through a CTE, a 0/1 indicator summed, a UNION of counts, a band of a per-client count) pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import World, write_world
from conftest import REPO, TEST_KEY
from extractor.config.load import load_config
from extractor.disclosure.lineage import check_aggregate
from extractor.disclosure.table_unit import check_unit
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract

KEYS = frozenset({"client_id"})  # the catalog's person key
TABLES = frozenset({"clients", "documents"})  # its tables that hold persons' rows
JOINED = "by something other than the person key"
PASS = {
    "a count": "SELECT region, count(*) AS n FROM clients GROUP BY ALL",
    "distinct": "SELECT region, count(DISTINCT client_id) AS n FROM clients GROUP BY ALL",
    "count_if": "SELECT region, count_if(sex = 'F') AS n FROM clients GROUP BY ALL",
    "cast": "SELECT region, count(*)::INTEGER AS n FROM clients GROUP BY ALL",
    "coalesced with 0": "SELECT region, coalesce(count(*), 0) AS n FROM clients GROUP BY ALL",
    "sum of 0/1": "SELECT region, sum(CASE WHEN sex = 'F' THEN 1 ELSE 0 END) AS n FROM clients GROUP BY ALL",
    "sum of a condition": "SELECT region, sum((sex = 'F')::INTEGER) AS n FROM clients GROUP BY ALL",
    "sum of counts in a CTE": "WITH x AS (SELECT region, sex, count(*) AS c FROM clients GROUP BY ALL) "
                              "SELECT region, sum(c) AS n FROM x GROUP BY ALL",
    "a subquery's count": "SELECT region, n FROM (SELECT region, count(*) AS n FROM clients GROUP BY ALL) s",
    "through *": "SELECT * FROM (SELECT region, count(*) AS n FROM clients GROUP BY ALL) s",
    "a union of counts": "SELECT 'a' AS region, count(*) AS n FROM clients UNION ALL SELECT 'b', count(*) FROM clients",
    "a windowed count": "SELECT DISTINCT region, count(*) OVER (PARTITION BY region) AS n FROM clients",
    "a band of a per-client count": "WITH p AS (SELECT client_id, count(*) AS c FROM documents GROUP BY ALL) "
                                    "SELECT CASE WHEN c >= 10 THEN '10+' ELSE '1-9' END AS region, count(*) AS n "
                                    "FROM p GROUP BY ALL",
    "a column the query lacks (named later)": "SELECT region, count(*) AS m FROM clients GROUP BY ALL",
    "a per-person first visit, by year": "WITH f AS (SELECT client_id, min(created_on) AS first FROM documents "
                                         "GROUP BY ALL) SELECT CAST(year(first) AS VARCHAR) AS region, count(*) AS n "
                                         "FROM f GROUP BY ALL",
    "a per-person count, the key renamed": "WITH r AS (SELECT client_id AS who, created_on FROM documents), "
                                           "p AS (SELECT who, count(*) AS c FROM r GROUP BY who) "
                                           "SELECT CASE WHEN c > 5 THEN 'many' ELSE 'few' END AS region, "
                                           "count(*) AS n FROM p GROUP BY ALL",
    "a visit's number for its person": "WITH v AS (SELECT client_id, row_number() OVER (PARTITION BY client_id "
                                       "ORDER BY created_on) AS k FROM documents) SELECT CAST(least(k, 3) AS VARCHAR)"
                                       " AS region, count(*) AS n FROM v GROUP BY ALL",
    "each client's latest task (DISTINCT ON)": "WITH o AS (SELECT DISTINCT ON (client_id) client_id, service_task AS m "
                                               "FROM documents ORDER BY client_id, created_on DESC) SELECT o.m AS "
                                               "region, count(*) AS n FROM o GROUP BY ALL",
    "each client's latest task (QUALIFY)": "WITH o AS (SELECT client_id, service_task AS m FROM documents QUALIFY "
                                           "row_number() OVER (PARTITION BY client_id ORDER BY created_on DESC) = 1) "
                                           "SELECT o.m AS region, count(*) AS n FROM o GROUP BY ALL",
    "a label table joined on its code": "WITH r AS (SELECT oid, name FROM registrars) SELECT r.name AS region, "
                                        "count(*) AS n FROM documents d JOIN r ON d.registrar_oid = r.oid GROUP BY ALL",
    "a per-person CTE joined by the key": "WITH f AS (SELECT client_id, min(created_on) AS first FROM documents GROUP "
                                          "BY ALL) SELECT CAST(year(f.first) AS VARCHAR) AS region, count(*) AS n FROM "
                                          "clients c JOIN f ON c.client_id = f.client_id GROUP BY ALL",
    "documents joined to their clients": "SELECT c.region, count(*) AS n FROM documents d JOIN clients c ON "
                                         "d.client_id = c.client_id GROUP BY ALL",
    "joined in the WHERE": "SELECT c.region, count(*) AS n FROM documents d, clients c WHERE d.client_id = c.client_id "
                           "GROUP BY ALL",
    "documents with their registrar": "SELECT d.service_task AS region, count(*) AS n FROM documents d JOIN registrars "
                                      "r ON d.registrar_oid = r.oid GROUP BY ALL",
    # What a second attack checked is still allowed (2026-12-05): GROUP BY a position, a VALUES lookup joined on a
    # condition while the label is the row's own, two per-person CTEs joined by the key.
    "grouped by position": "WITH f AS (SELECT client_id, min(created_on) AS first_doc FROM documents GROUP BY 1) "
                           "SELECT year(f.first_doc)::VARCHAR AS region, count(*) AS n FROM clients c JOIN f USING "
                           "(client_id) GROUP BY 1",
    "a VALUES lookup beside the row's own label": "SELECT c.region, count(*) AS n FROM clients c JOIN (VALUES ('F'), "
                                                  "('M')) AS s(code) ON s.code = c.sex GROUP BY c.region",
    "two per-person CTEs by the key": "WITH a AS (SELECT client_id, min(created_on) AS f FROM documents GROUP BY "
                                      "client_id), b AS (SELECT client_id, max(matter_closed_on) AS c FROM documents "
                                      "GROUP BY client_id) SELECT CASE WHEN b.c IS NULL THEN 'open' ELSE 'closed' END "
                                      "AS region, count(*) AS n FROM a JOIN b USING (client_id) GROUP BY 1",
    "joined by its renamed key": "WITH f AS (SELECT client_id AS cid, min(created_on) AS first FROM documents "
                                 "GROUP BY client_id) SELECT year(f.first)::VARCHAR AS region, count(*) AS n FROM "
                                 "clients c JOIN f ON f.cid = c.client_id GROUP BY 1",
    "per person and year": "WITH p AS (SELECT client_id, year(created_on) AS y, count(*) AS c FROM documents "
                           "GROUP BY client_id, y) SELECT CAST(c AS VARCHAR) AS region, count(*) AS n FROM p "
                           "GROUP BY ALL",
}
REFUSED = {
    "scaled": ("SELECT region, count(DISTINCT client_id) * 1000 AS n FROM clients GROUP BY ALL", "counts: 'n'"),
    "shifted": ("SELECT region, count(*) + 1 AS n FROM clients GROUP BY ALL", "counts: 'n'"),
    "scaled in a CTE": ("WITH x AS (SELECT region, count(*) * 7 AS c FROM clients GROUP BY ALL) "
                        "SELECT region, sum(c) AS n FROM x GROUP BY ALL", "counts: 'n'"),
    "an indicator of 1000": ("SELECT region, sum(CASE WHEN sex = 'F' THEN 1000 ELSE 0 END) AS n FROM clients "
                             "GROUP BY ALL", "counts: 'n'"),
    "coalesced with 5": ("SELECT region, coalesce(count(*), 5) AS n FROM clients GROUP BY ALL", "counts: 'n'"),
    "a maximum": ("WITH p AS (SELECT client_id, region, count(*) AS d FROM documents JOIN clients USING (client_id) "
                  "GROUP BY ALL) SELECT region, max(d) AS n FROM p GROUP BY ALL", "counts: 'n'"),
    "a table's own column": ("SELECT region, birth_year AS n FROM clients", "counts: 'n'"),
    "a table through *": ("SELECT * FROM clients", "counts: 'n'"),
    "one union branch scaled": ("SELECT 'a' AS region, count(*) AS n FROM clients UNION ALL "
                                "SELECT 'b', count(*) * 9 FROM clients", "counts: 'n'"),
    "string_agg as a dimension": ("SELECT string_agg(birth_date::VARCHAR, ';') AS region, count(*) AS n "
                                  "FROM clients GROUP BY sex", "dimensions: 'region' is made with string_agg()"),
    "string_agg through a CTE": ("WITH c AS (SELECT sex, list(birth_date) AS people FROM clients GROUP BY ALL) "
                                 "SELECT c.people::VARCHAR AS region, count(*) AS n FROM clients JOIN c USING (sex) "
                                 "GROUP BY ALL", JOINED),
    # A table attack's labels: one person's last date, or a dump of a whole municipality, through a subquery
    # (in a CTE or not), and an extreme that `extremes = "withheld"` holds back, published as a "category".
    "a subquery's value": ("SELECT (SELECT CAST(max(created_on) AS VARCHAR) FROM documents d JOIN clients t "
                           "USING (client_id) WHERE t.birth_date = DATE '1964-04-11') AS region, count(*) AS n "
                           "FROM clients GROUP BY ALL", "dimensions: 'region' is made with a subquery's value"),
    "a dump through a CTE": ("WITH dump AS (SELECT string_agg(birth_date::VARCHAR, ';') AS blob FROM clients) "
                             "SELECT (SELECT blob FROM dump) AS region, count(*) AS n FROM clients GROUP BY ALL",
                             "dimensions: 'region' is made with a subquery's value"),
    "a subquery hidden in a CTE": ("WITH x AS (SELECT sex, (SELECT max(birth_date) FROM clients) AS b FROM clients) "
                                   "SELECT b AS region, count(*) AS n FROM x GROUP BY ALL",
                                   "dimensions: 'region' is made with a subquery's value"),
    "an extreme as a label": ("SELECT sex, CAST(max(birth_date) AS VARCHAR) AS region, count(*) AS n FROM clients "
                              "GROUP BY sex", "dimensions: 'region' is made with max()"),
    "a window as a label": ("SELECT DISTINCT first_value(birth_date) OVER (PARTITION BY sex) AS region, "
                            "count(*) OVER (PARTITION BY sex) AS n FROM clients", "dimensions: 'region' is made with"),
    # A new user's attack: each municipality's oldest age joined back as a label, shown beside a hidden count.
    "a group's extreme joined back": ("WITH a AS (SELECT municipality, client_id, birth_year AS age FROM clients), "
                                      "o AS (SELECT municipality, CAST(max(age) AS VARCHAR) AS oldest FROM a GROUP BY "
                                      "municipality) SELECT o.oldest AS region, count(*) AS n FROM a JOIN o USING "
                                      "(municipality) GROUP BY ALL", JOINED),
    "a group's extreme, GROUP BY ALL": ("WITH o AS (SELECT municipality, max(birth_year) AS m FROM clients GROUP BY "
                                        "ALL) SELECT CAST(m AS VARCHAR) AS region, count(*) AS n FROM clients JOIN o "
                                        "USING (municipality) GROUP BY ALL", JOINED),
    "a whole table's mean": ("WITH o AS (SELECT avg(birth_year) AS m FROM clients) SELECT CAST(m AS VARCHAR) AS "
                             "region, count(*) AS n FROM clients, o GROUP BY ALL", JOINED),
    "a window in a CTE": ("WITH w AS (SELECT client_id, max(birth_year) OVER (PARTITION BY municipality) AS m FROM "
                          "clients) SELECT CAST(m AS VARCHAR) AS region, count(*) AS n FROM w GROUP BY ALL",
                          "made with max() over the rows of several"),
    "a rank within a municipality": ("WITH w AS (SELECT client_id, row_number() OVER (PARTITION BY municipality "
                                     "ORDER BY client_id) AS k FROM clients) SELECT CAST(k AS VARCHAR) AS region, "
                                     "count(*) AS n FROM w GROUP BY ALL", "made with row_number() over the rows"),
    "a previous person's value": ("WITH w AS (SELECT lag(birth_year) OVER (ORDER BY birth_year) AS b FROM clients) "
                                  "SELECT CAST(b AS VARCHAR) AS region, count(*) AS n FROM w GROUP BY ALL",
                                  "made with lag() over the rows of several"),
    "a municipality's oldest, DISTINCT ON": ("WITH o AS (SELECT DISTINCT ON (municipality) municipality, birth_year "
                                              "AS m FROM clients ORDER BY municipality, birth_year DESC) SELECT "
                                              "CAST(o.m AS VARCHAR) AS region, count(*) AS n FROM clients c JOIN o "
                                              "USING (municipality) GROUP BY ALL", JOINED),
    "a municipality's oldest, QUALIFY": ("WITH o AS (SELECT municipality, birth_year AS m FROM clients QUALIFY "
                                         "row_number() OVER (PARTITION BY municipality ORDER BY birth_year DESC) = 1) "
                                         "SELECT CAST(o.m AS VARCHAR) AS region, count(*) AS n FROM clients c JOIN o "
                                         "USING (municipality) GROUP BY ALL", JOINED),
    "the oldest, LIMIT": ("WITH o AS (SELECT birth_year AS m FROM clients ORDER BY birth_year DESC LIMIT 1) SELECT "
                          "CAST(o.m AS VARCHAR) AS region, count(*) AS n FROM clients c, o GROUP BY ALL",
                          JOINED),
    # An attack on the trace (helper, 2026-12-05): one chosen person's record beside every client, picked by a
    # WHERE; a qualifier the trace ignored; a column-name list; * REPLACE; a constant named client_id.
    "one person's record cross-joined": ("WITH t AS (SELECT sex || birth_date::VARCHAR AS region FROM clients WHERE "
                                         "client_id = (SELECT min(client_id) FROM clients WHERE birth_date = DATE "
                                         "'1988-01-05')) SELECT t.region, count(*) AS n FROM clients c CROSS JOIN t "
                                         "GROUP BY t.region", "joined to these by something other than the person key"),
    "the qualifier decides": ("WITH a AS (SELECT client_id, region FROM clients), b AS (SELECT municipality, "
                              "max(birth_date)::VARCHAR AS region FROM clients GROUP BY municipality) SELECT b.region, "
                              "count(*) AS n FROM clients c JOIN a USING (client_id) JOIN b USING (municipality) "
                              "GROUP BY ALL", JOINED),
    "renamed by a column-name list": ("WITH m(municipality, region) AS (SELECT max(birth_date)::VARCHAR, municipality "
                                      "FROM clients GROUP BY municipality) SELECT region, count(*) AS n FROM m "
                                      "GROUP BY ALL", "cannot follow"),
    "star replace": ("SELECT * REPLACE (CAST(max(birth_date) OVER (PARTITION BY municipality) AS VARCHAR) AS region), "
                     "count(*) OVER () AS n FROM clients", "cannot follow"),
    "a constant named client_id": ("SELECT CAST(max(c.birth_date) AS VARCHAR) AS region, count(*) AS n FROM clients c, "
                                   "range(1) t(client_id) GROUP BY c.municipality, t.client_id", "made with max()"),
    "union by name": ("SELECT count(*) AS n FROM clients WHERE false UNION ALL BY NAME SELECT count(*) AS n, "
                      "municipality || max(birth_date)::VARCHAR AS region FROM clients GROUP BY municipality",
                      "cannot follow"),
    # A pick without a join: each municipality's oldest as a label beside a hidden count of one.
    "DISTINCT ON, no join": ("WITH o AS (SELECT DISTINCT ON (municipality) municipality, birth_year AS m FROM clients "
                             "ORDER BY municipality, birth_year DESC) SELECT CAST(m AS VARCHAR) AS region, count(*) "
                             "AS n FROM o GROUP BY ALL", "a row DISTINCT ON picks"),
    "QUALIFY, no join": ("WITH o AS (SELECT birth_year AS m FROM clients QUALIFY row_number() OVER (PARTITION BY "
                         "municipality ORDER BY birth_year DESC) = 1) SELECT CAST(m AS VARCHAR) AS region, count(*) "
                         "AS n FROM o GROUP BY ALL", "a row QUALIFY picks"),
    "LIMIT, no join": ("WITH o AS (SELECT birth_year AS m FROM clients ORDER BY birth_year DESC LIMIT 1) SELECT "
                       "CAST(m AS VARCHAR) AS region, count(*) AS n FROM o GROUP BY ALL", "a row LIMIT picks"),
    "a sample": ("WITH o AS (SELECT birth_date AS m FROM clients USING SAMPLE 1 ROWS) SELECT CAST(m AS VARCHAR) AS "
                 "region, count(*) AS n FROM o GROUP BY ALL", "a sample's rows"),
    "one client's birth date on every document": ("SELECT c.birth_date::VARCHAR AS region, count(*) AS n FROM "
                                                  "documents d JOIN clients c ON c.client_id = (SELECT min(client_id) "
                                                  "FROM clients) GROUP BY ALL", JOINED),
    "neighbours' birth dates, per client": ("WITH p AS (SELECT c.client_id, max(o.birth_date)::VARCHAR AS region FROM "
                                            "clients c JOIN clients o ON o.municipality = c.municipality GROUP BY "
                                            "c.client_id) SELECT region, count(*) AS n FROM p GROUP BY region", JOINED),
    # The second attack's bypasses: the key equal to itself, a key link to a third source while the counted rows
    # are cross-joined, an unqualified column in a comma join, rows of range(), a lambda hiding a dump.
    "the key equal to itself": ("WITH t AS (SELECT client_id, birth_date::VARCHAR AS region FROM clients WHERE "
                                "municipality = 'Kangasniemi') SELECT t.region, count(*) AS n FROM clients c JOIN t ON "
                                "t.client_id = t.client_id GROUP BY t.region", JOINED),
    "keyed to a third source": ("WITH t AS (SELECT client_id, death_date::VARCHAR AS region FROM clients WHERE "
                                "municipality = 'Kangasniemi') SELECT t.region, count(*) AS n FROM clients c "
                                "CROSS JOIN t JOIN clients x ON t.client_id = x.client_id GROUP BY t.region", JOINED),
    "unqualified in a comma join": ("SELECT coalesce(death_date::VARCHAR, 'alive') || sex AS region, count(*) AS n "
                                    "FROM documents d, clients c WHERE c.birth_date = DATE '1988-01-05' GROUP BY 1",
                                    JOINED),
    "rows of range()": ("WITH t AS (SELECT birth_date::VARCHAR AS region FROM clients WHERE municipality = "
                        "'Kangasniemi') SELECT t.region, count(*) AS n FROM range(100) r CROSS JOIN t "
                        "GROUP BY t.region",
                        "joined without a condition to a table function"),
    "a lambda beside a dump": ("WITH m AS (SELECT municipality, string_agg(birth_date::VARCHAR, ',') AS e FROM "
                               "clients GROUP BY municipality) SELECT municipality || e || list_filter([''], lambda x: "
                               "true)[1] AS region, count(*) AS n FROM m GROUP BY 1", "a lambda function"),
    "a rollup past the person": ("WITH p AS (SELECT client_id, municipality, count(*) AS c FROM documents JOIN "
                                 "clients USING (client_id) GROUP BY ROLLUP (municipality, client_id)) SELECT "
                                 "CAST(c AS VARCHAR) AS region, count(*) AS n FROM p GROUP BY ALL",
                                 "made with count() over the rows of several"),
}


@pytest.mark.parametrize("sql", PASS.values(), ids=PASS.keys())
def test_counts_and_categories_pass(sql: str) -> None:
    check_aggregate(sql, ("region",), ("n",), "r.toml: outputs[0]", KEYS, TABLES)


@pytest.mark.parametrize(("sql", "named"), REFUSED.values(), ids=REFUSED.keys())
def test_what_is_not_a_count_or_a_category_is_refused(sql: str, named: str) -> None:
    with pytest.raises(ExtractorError) as caught:
        check_aggregate(sql, ("region",), ("n",), "r.toml: outputs[0]", KEYS, TABLES)
    message = str(caught.value)
    assert message.startswith("r.toml: outputs[0].") and named in message and "\n" not in message
    assert caught.value.before_data


def test_a_scaled_count_stops_the_run_and_releases_nothing(tmp_path: Path) -> None:
    """The attack end to end: five clients in a cell, count(*) * 1000; refused, no run folder, nothing released."""
    w = World(clients=[f"P{i}" for i in range(5)],
              documents=[(f"d{i}", f"d{i}", f"P{i}", "R1", "20") for i in range(5)])
    request = write_world(w, tmp_path / "w", query="SELECT service_task, count(*) * 1000 AS n FROM documents "
                                                   "GROUP BY ALL\n")
    with pytest.raises(ExtractorError, match=r"outputs\[0\]\.counts: 'n' is not computed as a count"):
        run_extract(load_config(request), tmp_path / "out", TEST_KEY.encode())
    assert not (tmp_path / "out" / "T-1").exists()


@pytest.mark.parametrize("count", ["count_if(registrar = 'R1')", "sum(CASE WHEN registrar = 'R1' THEN 1 ELSE 0 END)",
                                   "sum((registrar = 'R1')::INTEGER)"])
def test_counts_duckdb_makes_hugeint_are_released(tmp_path: Path, count: str) -> None:
    """count_if and sums of indicators, which the README offers as counts, come back from DuckDB as HUGEINT
    (Decimal(38, 0) in Polars): whole numbers, released as counts."""
    w = World(clients=[f"P{i}" for i in range(30)],
              documents=[(f"d{i}", f"d{i}", f"P{i}", "R1" if i % 3 else "R2", "20") for i in range(30)])
    request = write_world(w, tmp_path / "w", query=f"SELECT service_task, {count} AS n FROM documents GROUP BY ALL\n")
    result = run_extract(load_config(request), tmp_path / "out", TEST_KEY.encode())
    released = (result.release_dir / "t.csv").read_text(encoding="utf-8").splitlines()
    assert released == ["service_task,n", "20,20"]


UNITS = {
    "a table's key": ("SELECT region, client_id, count(*) AS d FROM documents GROUP BY ALL", True),
    "cast": ("SELECT region, client_id::VARCHAR AS client_id FROM clients", True),
    "renamed through a CTE": ("WITH a AS (SELECT client_id AS u, region FROM clients) "
                              "SELECT region, u AS client_id FROM a", True),
    "numbered by the query": ("SELECT region, row_number() OVER () AS client_id FROM documents", False),
    "made of two columns": ("SELECT region, client_id || region AS client_id FROM clients", False),
    "a constant": ("SELECT region, 1 AS client_id FROM clients", False),
}


@pytest.mark.parametrize(("sql", "passes"), UNITS.values(), ids=UNITS.keys())
def test_a_tables_unit_is_read_from_a_table_as_it_is(sql: str, passes: bool) -> None:
    """row_number() as the unit made each document its own contributor: a cell of 2 clients with 8 documents
    passed the 1-7 rule and dominance. The unit must be a table's column, read as it is."""
    if passes:
        check_unit(sql, "client_id", "r.toml: outputs[0]")
        return
    with pytest.raises(ExtractorError, match=r"^r\.toml: outputs\[0\]\.unit: 'client_id' is computed by the query"):
        check_unit(sql, "client_id", "r.toml: outputs[0]")


KEYS = frozenset({"client_id"})
NOT_A_PERSON = {
    "a document's key, renamed": ("SELECT region, original_oid AS client_id FROM documents", "client_id",
                                  "'client_id' is the column 'original_oid', which is not a person's key"),
    "a document's key under its own name": ("SELECT region, original_oid FROM documents", "original_oid",
                                            "'original_oid' is not a person's key"),
    "renamed through a CTE": ("WITH a AS (SELECT original_oid AS u, region FROM documents) "
                              "SELECT region, u AS client_id FROM a", "client_id", "the column 'original_oid'"),
    "one branch of a union": ("SELECT region, client_id FROM clients UNION ALL SELECT region, registrar_oid "
                              "FROM documents", "client_id", "the column 'registrar_oid'"),
    "a table's column through *": ("SELECT * FROM documents", "registrar_oid", "'registrar_oid' is not"),
}


@pytest.mark.parametrize(("sql", "unit", "named"), NOT_A_PERSON.values(), ids=NOT_A_PERSON.keys())
def test_a_tables_unit_must_be_a_persons_key(sql: str, unit: str, named: str) -> None:
    """A document's key as the unit made every document a contributor (2 clients with 8 documents passed the
    1-7 rule): the unit must trace to a column the catalog gives the role person_key."""
    with pytest.raises(ExtractorError) as caught:
        check_unit(sql, unit, "r.toml: outputs[0]", KEYS)
    message = str(caught.value)
    assert message.startswith("r.toml: outputs[0].unit: ") and named in message and "client_id" in message
    assert "\n" not in message and caught.value.before_data


@pytest.mark.parametrize("sql", [s for s, passes in UNITS.values() if passes] + ["SELECT * FROM clients"])
def test_a_persons_key_read_as_it_is_passes(sql: str) -> None:
    check_unit(sql, "client_id", "r.toml: outputs[0]", KEYS)
    check_unit(sql, "CLIENT_ID", "r.toml: outputs[0]", KEYS)  # names are case-insensitive, as in SQL


def test_a_table_counting_documents_as_units_stops_the_run(registry: Path, tmp_path: Path) -> None:
    """End to end on the demo registry: the audit table with each document's key as its unit is refused
    before anything is written; the same request with the client as the unit is released."""
    from adversarial.runs import request_copy

    sql = (REPO / "queries" / "audit_document_volumes.sql").read_text(encoding="utf-8")
    (tmp_path / "q.sql").write_text(sql.replace("d.client_id,", "d.original_oid AS client_id,"), encoding="utf-8")
    request = request_copy("audit_request.toml", tmp_path, {
        f'query = "{REPO / "queries"}/audit_document_volumes.sql"': f'query = "{tmp_path / "q.sql"}"',
        'documents = ["client_id",': 'documents = ["client_id", "original_oid",'})
    with pytest.raises(ExtractorError, match=r"outputs\[1\]\.unit: 'client_id' is the column 'original_oid'"):
        run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode())
    assert not any((tmp_path / "out").glob("AUD-*/*/release/*.csv"))


SENSITIVE = {  # an anonymised record's sensitive attribute, and the identifying column it carries (or None)
    "a service task": ("SELECT sex, service_task FROM documents JOIN clients USING (client_id)", None),
    "picked by its date": ("SELECT sex, arg_max(service_task, created_on) AS service_task FROM documents "
                           "JOIN clients USING (client_id) GROUP BY client_id, sex", None),
    "a birth date passed off as sensitive": ("SELECT sex, birth_date AS service_task FROM clients", "birth_date"),
    "a home through a CTE": ("WITH h AS (SELECT client_id, sex, municipality AS home FROM clients) "
                             "SELECT sex, upper(home) AS service_task FROM h", "municipality"),
    "a date in a CASE's result": ("SELECT sex, CASE WHEN sex = 'F' THEN CAST(death_date AS VARCHAR) END AS "
                                  "service_task FROM clients", "death_date"),
}


@pytest.mark.parametrize(("sql", "carried"), SENSITIVE.values(), ids=SENSITIVE.keys())
def test_a_sensitive_attribute_carries_no_quasi_identifier(sql: str, carried: str | None) -> None:
    """k-anonymity generalises only the declared quasi-identifiers: a birth date declared sensitive made every
    record unique while the report said k = 5 (a table attack)."""
    from extractor.disclosure.dimension_lineage import check_sensitive

    identifying = frozenset({"birth_date", "sex", "municipality", "death_date", "created_on"})
    if carried is None:
        check_sensitive(sql, ("service_task",), identifying, "r.toml: outputs[0]")
        return
    with pytest.raises(ExtractorError, match=rf"outputs\[0\]\.sensitive: 'service_task' reads {carried}, which the "
                                             "catalog marks as identifying") as caught:
        check_sensitive(sql, ("service_task",), identifying, "r.toml: outputs[0]")
    assert caught.value.before_data
