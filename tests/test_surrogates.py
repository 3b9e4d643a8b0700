"""Per-run surrogate keys in the sandbox, HMAC pseudonyms on the way out (protect/surrogates.py).

What must hold: the query's sandbox holds neither a raw key nor a project pseudonym, only surrogates that
are the same for one key across its tables within a run and differ between runs; a released pseudonym
column carries exactly the project's HMAC pseudonym of the key the row came from (the reference:
ProjectKey.pseudonym, in Python); a value the query computed is refused, never released; NULL stays NULL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import World, write_world
from conftest import TEST_KEY
from extractor.config.load import load_config
from extractor.config.request import Output
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract
from extractor.protect.pseudonym import project_key
from extractor.protect.surrogates import Surrogates

D = dt.date
KEY = project_key(TEST_KEY.encode(), "P-1")
DUMP = "SELECT d.client_id, d.service_task FROM documents d JOIN clients c USING (client_id)"


def _records(pseudonyms: tuple[str, ...] = ("client_id",)) -> Output:
    return Output("t", Path("q.sql"), "pseudonymised_records", ("client_id", "n"), (), pseudonyms=pseudonyms,
                  where="request.toml: outputs[0]")


def _mapped(keys: list[str | None]) -> tuple[duckdb.DuckDBPyConnection, Surrogates, pl.DataFrame]:
    """A person map over `keys`, and a query output holding each key's surrogate (as a sandbox would)."""
    con = duckdb.connect()
    s = Surrogates()
    con.register("raw_keys", pl.DataFrame({"v": keys}, schema={"v": pl.String}).with_row_index("i"))
    s.make_map(con, "pseudo_person", "person_key", "SELECT v FROM raw_keys", "", {})
    frame = con.sql("SELECT m.p AS client_id, 1 AS n FROM raw_keys r LEFT JOIN pseudo_person m ON m.v = r.v "
                    "ORDER BY r.i").pl()
    return con, s, frame


@given(st.lists(st.one_of(st.none(), st.text(min_size=1, max_size=12)), min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_released_pseudonyms_are_the_reference_hmac_of_the_row_s_key(keys: list[str | None]) -> None:
    con, s, frame = _mapped(keys)
    distinct = {k for k in keys if k is not None}
    assert frame["client_id"].drop_nulls().n_unique() == len(distinct)  # one surrogate per key, no collision
    assert frame["client_id"].null_count() == keys.count(None)
    frames = {"t": frame}
    s.pseudonymise_outputs(con, frames, [_records()], KEY)
    assert frames["t"]["client_id"].to_list() == [None if k is None else KEY.pseudonym("person", k) for k in keys]


@pytest.mark.parametrize(("query_value", "why"), [
    ("client_id + 1", "a surrogate shifted: another key's, or nobody's"),
    ("client_id * 0 + 42", "a constant"),
    ("CAST(length(CAST(client_id AS VARCHAR)) AS BIGINT)", "a figure computed from it"),
    ("CAST(client_id AS VARCHAR) || '0'", "a key's text made longer"),
    ("'A'", "a raw key typed in"),
])
def test_a_pseudonym_column_that_is_not_a_key_passed_through_is_refused(query_value: str, why: str) -> None:
    con, s, frame = _mapped(["A", "B", "C"])
    con.register("out", frame)
    computed = con.sql(f"SELECT {query_value} AS client_id, n FROM out").pl()
    with pytest.raises(ExtractorError, match=r"^request.toml: outputs\[0\]: column 'client_id' holds values that "
                                             r"are not keys as the sandbox gave them"):
        s.pseudonymise_outputs(con, {"t": computed}, [_records()], KEY)


@pytest.mark.parametrize("out", [
    Output("t", Path("q.sql"), "aggregate", ("client_id",), ("n",), where="request.toml: outputs[0]"),
    _records(pseudonyms=()),  # record-level rows whose key column is not declared under pseudonyms
])
def test_a_key_in_a_column_no_pseudonym_is_declared_for_is_refused(out: Output) -> None:
    con, s, frame = _mapped(["A", "B"])
    with pytest.raises(ExtractorError, match=r"^request.toml: outputs\[0\]: column 'client_id' holds person or "
                                             r"document keys as the sandbox gave them"):
        s.pseudonymise_outputs(con, {"t": frame}, [out], KEY)


def test_counts_and_other_numbers_are_not_taken_for_keys() -> None:
    con, s, frame = _mapped(["A", "B"])
    aggregate = Output("t", Path("q.sql"), "aggregate", ("year",), ("n",))
    frames = {"t": pl.DataFrame({"year": [2024, 2025], "n": [10**6, 10**15]})}  # large, far below a key's size
    s.pseudonymise_outputs(con, frames, [aggregate], KEY)
    assert frames["t"]["n"].to_list() == [10**6, 10**15]
    huge = {"t": pl.DataFrame({"year": [2024], "n": [2**62]})}  # a key's size: a disguised key, refused
    with pytest.raises(ExtractorError, match="or numbers as large"):
        s.pseudonymise_outputs(con, huge, [aggregate], KEY)


def test_a_pseudonym_in_text_is_not_taken_for_a_key_but_a_key_s_digits_are() -> None:
    """A note names its subject by <32 hex characters>; some hold 18 decimal digits in a row by chance."""
    con, s, _ = _mapped(["A", "B"])
    notes = Output("t", Path("q.sql"), "aggregate", ("note",), ("n",))
    lucky = "<8d114213504558437829a1f0e2b3c4d5>"  # a pseudonym with a run of 18 digits
    frames = {"t": pl.DataFrame({"note": [f"Keskustelu {lucky} kanssa.", "ok"], "n": [1, 2]})}
    s.pseudonymise_outputs(con, frames, [notes], KEY)
    assert frames["t"]["note"][0].endswith("kanssa.")
    for text in (f"id {2**60 + 12345}", f"x{2**60 + 12345}y", f"{lucky[1:-1]}{2**60 + 12345}"):
        with pytest.raises(ExtractorError, match="or numbers as large"):
            s.pseudonymise_outputs(con, {"t": pl.DataFrame({"note": [text], "n": [1]})}, [notes], KEY)


def test_a_surrogate_is_not_computed_from_its_key() -> None:
    """Ranks in a random order: unrelated to the keys' order or to DuckDB's unkeyed hash of them, and new in
    each run, so that a known (key, surrogate) pair says nothing about another key."""
    keys = [f"P{i:07d}" for i in range(2000)]
    runs = []
    for _ in range(2):
        con = duckdb.connect()
        con.register("raw_keys", pl.DataFrame({"v": keys}))
        s = Surrogates()
        s.make_map(con, "pseudo_person", "person_key", "SELECT v FROM raw_keys", "", {})
        runs.append(con.sql("SELECT v, p, hash(v) AS h FROM pseudo_person").pl().sort("v"))
    first, second = runs
    assert first["p"].n_unique() == len(keys) and (first["p"] // 2**60 == 1).all()
    for other in (pl.Series(range(len(keys))), first["h"].rank(), second["p"]):  # key order, hash order, next run
        rho = pl.DataFrame({"a": first["p"].rank(), "b": other.rank()}).select(pl.corr("a", "b")).item()
        assert abs(rho) < 0.15, rho  # independent: |rho| ~ 0.02 here; 0.15 is 7 standard deviations
    assert (first["p"] != second["p"]).mean() > 0.99


def test_domains_never_share_a_value() -> None:
    con = duckdb.connect()
    con.register("raw_keys", pl.DataFrame({"v": ["A", "B"]}))
    s = Surrogates()
    s.make_map(con, "pseudo_person", "person_key", "SELECT v FROM raw_keys", "", {})
    s.make_map(con, "pseudo_document", "document_key", "SELECT v FROM raw_keys", "", {})
    person = set(con.sql("SELECT p FROM pseudo_person").pl()["p"])
    document = set(con.sql("SELECT p FROM pseudo_document").pl()["p"])
    assert {p >> 60 for p in person} == {1} and {d >> 60 for d in document} == {2} and not person & document


@pytest.fixture()
def two_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    w = World(clients=["A", "B", "C"], documents=[("a1", "a1", "A", "R1", "20"), ("a2", "a2", "A", "R1", "10"),
                                                  ("b1", "b1", "B", "R1", "20"), ("c1", "c1", "C", "R1", "20")])
    request = write_world(w, tmp_path / "w", query=DUMP)
    request.write_text(request.read_text().replace('dimensions = ["service_task"]\ncounts = ["n"]',
                                                   'kind = "pseudonymised_records"\n'
                                                   'dimensions = ["client_id", "service_task"]\n'
                                                   'pseudonyms = ["client_id"]'))
    cfg = load_config(request)
    seen = []
    import extractor.pipeline as pipeline

    real = pipeline._query

    def spy(con, sandbox, query, cfg, limits):
        sandbox_con = duckdb.connect(str(sandbox), read_only=True)
        seen.append({t: sandbox_con.sql(f"SELECT * FROM {t}").pl() for t in ("clients", "documents")})
        sandbox_con.close()
        return real(con, sandbox, query, cfg, limits)

    monkeypatch.setattr(pipeline, "_query", spy)
    results = [run_extract(cfg, tmp_path / f"out{i}", TEST_KEY.encode()) for i in range(2)]
    return cfg, results, seen


def test_the_sandbox_holds_surrogates_joined_within_a_run(two_runs) -> None:
    cfg, results, seen = two_runs
    key = project_key(TEST_KEY.encode(), cfg.request.project)
    first, second = seen
    for tables in seen:
        values = set(tables["clients"]["client_id"]) | set(tables["documents"]["client_id"])
        assert tables["clients"]["client_id"].dtype == pl.Int64
        assert not values & {"A", "B", "C"} and not values & {key.pseudonym("person", p) for p in "ABC"}
        assert set(tables["documents"]["client_id"]) <= set(tables["clients"]["client_id"])  # they join
    assert first["clients"].height == second["clients"].height == 3  # (a new order each run: unit test above)
    for result in results:  # what leaves is the project's pseudonym, the same in both runs
        released = pl.read_csv(result.release_dir / "t.csv")
        assert sorted(released["client_id"]) == sorted(key.pseudonym("person", p) for p in "AABC")


def test_a_run_whose_aggregate_is_keyed_by_persons_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    w = World(clients=[f"P{i}" for i in range(12)], documents=[(f"d{i}", f"d{i}", f"P{i}", "R1", "20")
                                                                for i in range(12)])
    request = write_world(w, tmp_path / "w", query="SELECT client_id AS service_task, count(*) AS n FROM documents "
                                                   "GROUP BY ALL")
    with pytest.raises(ExtractorError, match=r"column 'service_task' holds person or document keys"):
        run_extract(load_config(request), tmp_path / "out", TEST_KEY.encode())
    assert not [p for p in (tmp_path / "out").rglob("*.csv")]
