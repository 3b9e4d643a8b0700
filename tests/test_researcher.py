"""The researcher's side without the key or the data: codebook, dummy data, try, query tests, errors that teach."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, run_env
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.researcher import query_literals
from extractor.researcher.dummy_data import generate
from extractor.researcher.sql_errors import _line_col
from extractor.researcher.try_run import dummy_for

REGISTRY = REPO / "examples" / "registry"
SYNTHEA = REPO / "examples" / "synthea"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in run_env().items() if k != "EXTRACTOR_KEY"}  # the researcher holds no key
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env={**env, "COLUMNS": "200"}, timeout=600)


# --- codebook -----------------------------------------------------------------------------------------------

def test_codebook_lists_tables_codes_treatments_helpers_and_the_purpose(tmp_path: Path) -> None:
    r = cli("catalog", "show", str(REGISTRY / "research_request.toml"))
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "TABLE clients" in text and "TABLE documents" in text
    assert "10 = Child welfare" in text and "15 = Substance-abuse services" in text
    assert "hetu" in text and "withheld: never given to a query" in text
    assert "age_band(age INTEGER, width INTEGER := 10, top INTEGER := 90) -> VARCHAR" in text
    assert "PURPOSE research" in text and "PURPOSE audit" not in text  # the request's own purpose
    fi = cli("catalog", "show", "--lang", "fi")
    assert "10 = Lastensuojelu" in fi.stdout and "PURPOSE audit" in fi.stdout  # no request: every purpose
    html = tmp_path / "codebook.html"
    assert cli("catalog", "show", "--format", "html", "--out", str(html)).returncode == 0
    page = html.read_text()
    assert ">Barnskydd</td>" in page and "Child welfare" in page and 'id="t-documents"' in page
    md = cli("catalog", "show", "--format", "markdown").stdout
    assert md.startswith("# Codebook") and "| `service_task` |" in md


@pytest.mark.parametrize(("args", "expected"), [
    (["--purpose", "marketing"], "--purpose: expected one of audit, statistics, research, consented_research"),
    (["--format", "pdf"], "--format: expected one of text, markdown, html"),
    (["--lang", "de"], "--lang: expected fi, sv or en"),
])
def test_codebook_bad_options_are_one_line(args: list[str], expected: str) -> None:
    r = cli("catalog", "show", *args)
    assert r.returncode == 2 and expected in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_catalog_code_list_typo_names_the_key(tmp_path: Path) -> None:
    cat = tmp_path / "catalog.toml"
    cat.write_text('[catalog]\nname = "x"\n[tables.t]\npath = "t.parquet"\n'
                   '[tables.t.columns]\nk = { role = "person_key", codes = "builtin:servce_task" }\n')
    r = cli("catalog", "show", str(cat))
    assert r.returncode == 2 and "tables.t.columns.k.codes: expected builtin:service_task" in r.stderr


# --- dummy data -----------------------------------------------------------------------------------------------

def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_dummy_data_are_deterministic_consistent_and_shaped_by_the_query(tmp_path: Path) -> None:
    request = REGISTRY / "audit_request.toml"
    a, b = dummy_for(request, tmp_path / "a", 3000, 7), dummy_for(request, tmp_path / "b", 3000, 7)
    assert a == b and _digest(tmp_path / "a") == _digest(tmp_path / "b")
    dummy_for(request, tmp_path / "c", 3000, 8)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    clients = pl.read_parquet(tmp_path / "a" / "clients.parquet")
    docs = pl.read_parquet(tmp_path / "a" / "documents.parquet")
    registrars = pl.read_parquet(tmp_path / "a" / "registrars.parquet")
    assert clients.height == 3000 and clients["client_id"].n_unique() == 3000
    assert docs["client_id"].is_in(clients["client_id"].implode()).all()  # keys agree across tables
    assert docs["registrar_oid"].is_in(registrars["registrar_oid"].implode()).all()
    assert set(docs["service_task"].unique()) <= {"10", "15", "20"}  # the builtin code list
    assert set(clients["sex"].unique()) == {"F", "M"}
    # The query asks for created_on >= 2023-01-01: the dummy dates lie there.
    assert docs.filter(pl.col("created_on") >= pl.date(2023, 1, 1)).height == docs.height
    # The request nests service task -> social service: each social service under one service task.
    assert docs.group_by("social_service").agg(pl.col("service_task").n_unique())["service_task"].max() == 1
    bans = pl.read_parquet(tmp_path / "a" / "disclosure_bans.parquet")
    assert set(bans["scope"]) == {"registrar", "service_task", "document"}
    assert pl.read_parquet(tmp_path / "a" / "opt_outs.parquet").height > 0


def test_literals_the_query_compares_against_are_drawn(tmp_path: Path) -> None:
    cfg = load_config(REGISTRY / "research_request.toml", schema_only=True)
    wanted = query_literals.wanted("SELECT 1 FROM documents d WHERE d.social_service IN ('94', '93') "
                                   "AND version BETWEEN 2 AND 3 AND created_on < DATE '2020-02-01'")
    generate(cfg.catalog, wanted, cfg.request.as_of, tmp_path, 500, 1)
    docs = pl.read_parquet(tmp_path / "documents.parquet")
    assert docs.filter(pl.col("social_service").is_in(["93", "94"])).height > docs.height / 4
    assert docs["version"].is_between(2, 3).all()
    assert docs.filter(pl.col("created_on") < pl.date(2020, 2, 1)).height == docs.height


@pytest.mark.parametrize(("sql", "column", "expected"), [
    ("SELECT 1 FROM t WHERE a = 'x'", "a", {"values": {"x"}}),
    ("SELECT 1 FROM t WHERE 5 < b", "b", {"low": 5}),
    ("SELECT 1 FROM t WHERE b >= 5 AND b <= 9", "b", {"low": 5, "high": 9}),
    ("SELECT 1 FROM t WHERE c LIKE 'F3%'", "c", {"values": {"F31"}}),
    ("SELECT 1 FROM t WHERE d IS NULL", "d", {"nulls": True}),
    ("SELECT 1 FROM t WHERE e = DATE '2024-03-01'", "e", {"values": {__import__('datetime').date(2024, 3, 1)}}),
    ("SELECT 1 FROM t WHERE f IN (1, 2)", "f", {"values": {1, 2}}),
    ("SELECT 1 FROM t WHERE g BETWEEN -3 AND 3.5", "g", {"low": -3, "high": 3.5}),
])
def test_query_literals(sql: str, column: str, expected: dict) -> None:
    w = query_literals.wanted(sql)[column]
    for attr, value in expected.items():
        assert getattr(w, attr) == value


def test_dummy_data_for_a_csv_catalog_with_its_own_formats(tmp_path: Path) -> None:
    """A controller's catalog: CSV with ; and a Finnish date format, cp1252, a DuckDB file, a code CSV."""
    (tmp_path / "codes.csv").write_text("code,fi,en\nA1,yksi,one\nB2,kaksi,two\n")
    cat = tmp_path / "catalog.toml"
    cat.write_text(
        '[catalog]\nname = "x"\nroot = "data"\n'
        '[tables.people]\npath = "people.csv"\ndelimiter = ";"\nencoding = "cp1252"\n'
        '[tables.people.columns]\nid = "person_key"\nborn = { role = "quasi_identifier", type = "date", '
        'format = "%d.%m.%Y" }\nkind = { role = "other", codes = "codes.csv" }\n'
        '[tables.visits]\npath = "visits.duckdb"\ntable = "visits"\n'
        '[tables.visits.columns]\nperson = "person_key"\namount = { role = "sensitive", type = "decimal" }\n')
    from extractor.config.catalog import load_catalog

    catalog = load_catalog(cat, schema_only=True)
    generate(catalog, {}, __import__("datetime").date(2026, 1, 1), tmp_path / "data", 50, 1)
    loaded = load_catalog(cat)  # the files now exist where the catalog looks
    people = loaded.tables["people"].source.path.read_bytes().decode("cp1252").splitlines()
    assert people[0] == "id;born;kind" and people[1].split(";")[1].count(".") == 2
    assert {line.split(";")[2] for line in people[1:]} <= {"A1", "B2"}
    with duckdb.connect(str(loaded.tables["visits"].source.path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM visits").fetchone()[0] == 150


def test_dummy_refuses_a_format_it_cannot_write(tmp_path: Path) -> None:
    cat = tmp_path / "catalog.toml"
    cat.write_text('[catalog]\nname = "x"\n[tables.t]\nformat = "delta"\npath = "t"\n'
                   '[tables.t.columns]\nk = "person_key"\n')
    from extractor.config.catalog import load_catalog

    with pytest.raises(ExtractorError, match="dummy data are written as Parquet, CSV, NDJSON or DuckDB, not delta"):
        generate(load_catalog(cat, schema_only=True), {}, __import__("datetime").date(2026, 1, 1), tmp_path, 10)


@pytest.mark.parametrize("source", ['format = "spark_table"\ntable = "db.t"',
                                    'format = "postgres"\ntable = "db.t"\nconnection = "NOT_SET_ANYWHERE"'])
def test_dummy_data_of_a_table_not_in_a_file_is_written_as_parquet(tmp_path: Path, source: str) -> None:
    """A table of Spark's catalog or of a PostgreSQL database: its dummy rows go to <table>.parquet, where
    `extractor try` reads them (researcher/dummy_sources.on_dummy_files)."""
    from extractor.config.catalog import load_catalog
    from extractor.researcher.dummy_sources import on_dummy_files

    cat = tmp_path / "catalog.toml"
    cat.write_text(f'[catalog]\nname = "x"\n[tables.t]\n{source}\n[tables.t.columns]\nk = "person_key"\n')
    catalog = load_catalog(cat, schema_only=True)
    rows = generate(catalog, {}, __import__("datetime").date(2026, 1, 1), tmp_path / "d", 10)
    assert rows == {"t": 10} and pl.read_parquet(tmp_path / "d" / "db.t.parquet").height == 10
    moved = on_dummy_files(catalog, tmp_path / "d").tables["t"].source
    assert moved.format == "parquet" and moved.path == (tmp_path / "d" / "db.t.parquet").resolve()


@settings(max_examples=15, deadline=None)
@given(persons=st.integers(10, 400), seed=st.integers(0, 2**31))
def test_every_event_row_has_a_person_and_a_registrar(persons: int, seed: int, tmp_path_factory) -> None:
    out = tmp_path_factory.mktemp("dummy")
    cfg = load_config(REGISTRY / "audit_request.toml", schema_only=True)
    rows = generate(cfg.catalog, {}, cfg.request.as_of, out, persons, seed)
    assert rows["clients"] == persons and rows["documents"] == 3 * persons
    con = duckdb.connect()
    orphans = con.execute(f"""
        SELECT count(*) FROM '{out}/documents.parquet' d
        WHERE client_id NOT IN (SELECT client_id FROM '{out}/clients.parquet')
           OR registrar_oid NOT IN (SELECT registrar_oid FROM '{out}/registrars.parquet')""").fetchone()[0]
    assert orphans == 0


# --- try --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("request_file", [REGISTRY / "research_request.toml", REGISTRY / "audit_request.toml",
                                          REGISTRY / "microdata_request.toml", SYNTHEA / "request.toml"])
def test_try_runs_the_pipeline_on_dummy_data_and_records_nothing(request_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "try"
    r = cli("try", str(request_file), "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files and all(f.startswith("DUMMY_") for f in files), files
    manifest = json.loads((out / "DUMMY_manifest.json").read_text())
    assert manifest["dummy"] is True and manifest["dummy_data"]["persons"] == 20000
    assert "DUMMY_review.html" in files and not any("notice" in f for f in files)
    assert {"DUMMY_review_fi.html", "DUMMY_review_sv.html", "DUMMY_codebook_en.html"} <= set(files)
    report = (out / "DUMMY_review.html").read_text(encoding="utf-8")
    assert 'id="dummy-data"' in report and "made-up records" in report  # never mistaken for a real report
    links = set(re.findall(r'href="([^"#]+)"', report))
    assert links and all((out / link).is_file() or link.startswith(("http", "mailto")) for link in links), links
    assert "keksityistä tietueista" in (out / "DUMMY_review_fi.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["try"]  # no store, no audit log, no out/ beside it


def test_try_repeats_exactly_with_the_same_seed_even_where_dates_are_shifted(tmp_path: Path) -> None:
    """The README promises dummy data deterministic by --seed; the released files must be too. The notes request
    shifts dates by a key-derived amount per person: a random throwaway key gave other files on every try."""
    from extractor.machine import resolve
    from extractor.researcher.try_run import try_request

    for out in ("a", "b"):  # in this process: the CLI's own start-up is tested elsewhere
        try_request(REGISTRY / "notes_request.toml", tmp_path / out, None, 400, 2026, resolve(threads=1))
    released = sorted(p.name for p in (tmp_path / "a").glob("DUMMY_*.csv"))
    assert "DUMMY_case_notes.csv" in released
    for name in released:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_try_refusal_says_it_ran_on_dummy_data(tmp_path: Path) -> None:
    r = cli("try", str(REGISTRY / "research_request.toml"), "--out", str(tmp_path / "t"), "--persons", "300")
    assert r.returncode == 2
    assert "person-level rows" in r.stderr and "tried on dummy data of 300 persons" in r.stderr
    assert "--persons 1500;" in r.stderr and not (tmp_path / "t").exists()  # as it is typed on the command line
    assert "a row per day, per date or per person only grows" in r.stderr and "group more coarsely]" in r.stderr
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "DUMMY_t.csv").write_text("an earlier try's file\n")
    again = cli("try", str(REGISTRY / "research_request.toml"), "--out", str(tmp_path / "t"), "--persons", "300")
    assert again.returncode == 2 and f"[the files in {tmp_path / 't'} are from an earlier try]" in again.stderr
    assert (tmp_path / "t" / "DUMMY_t.csv").read_text() == "an earlier try's file\n"  # kept, and said to be old


# --- query tests ------------------------------------------------------------------------------------------------

TESTS = '''
[[tests]]
name = "a client counts once per service task"
output = "clients_by_age_sex_region"
given.clients = [{ client_id = "A", birth_date = 1980-05-01, sex = "F", region = "Uusimaa" },
                 { client_id = "B", birth_date = 1950-05-01, sex = "M", region = "Lappi", death_date = 2020-01-01 }]
given.documents = [{ client_id = "A", service_task = "10" }, { client_id = "A", service_task = "10" },
                   { client_id = "B", service_task = "10" }]
expect = [{ service_task = "10", age_band = "40-59", sex = "F", region = "Uusimaa", clients = 1 }]
'''


def test_query_tests_pass_and_fail_with_a_diff(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(TESTS)
    r = cli("test", str(REGISTRY / "research_request.toml"), "--tests", str(good))
    assert r.returncode == 0 and "ok   a client counts once per service task" in r.stdout, r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(TESTS.replace("clients = 1 }", "clients = 2 }"))
    r = cli("test", str(REGISTRY / "research_request.toml"), "--tests", str(bad))
    assert r.returncode == 2 and "1 of 1 query test(s) failed" in r.stderr
    assert "   - '10' | '40-59' | 'F' | 'Uusimaa' | 2" in r.stdout
    assert "   + '10' | '40-59' | 'F' | 'Uusimaa' | 1" in r.stdout
    typed = tmp_path / "typed.toml"  # a number where the output has text: the diff shows which is which
    typed.write_text(TESTS.replace('expect = [{ service_task = "10"', "expect = [{ service_task = 10"))
    r = cli("test", str(REGISTRY / "research_request.toml"), "--tests", str(typed))
    assert "   - 10 | '40-59'" in r.stdout and "   + '10' | '40-59'" in r.stdout


@pytest.mark.parametrize(("edit", "expected"), [
    (("given.clients", "given.clientz"), "tests[0].given.clientz: expected a table the request's [variables] gives"),
    (('sex = "F", region', 'sexx = "F", region'), "tests[0].given.clients[0].sexx: expected a column of "
                                                  "[variables].clients"),
    (('output = "clients_by_age_sex_region"', 'output = "nope"'), "tests[0].output: expected one of"),
    (("expect = [", "# expect = ["), "tests[0].expect: expected the rows the output must return"),
    (("birth_date = 1950-05-01", 'birth_date = "01.05.1950"'),
     "t.toml: tests[0].given.clients[1].birth_date: expected a value of the column's type, DATE (YYYY-MM-DD, e.g. "
     "1980-05-01), got '01.05.1950'"),
])
def test_a_bad_query_test_names_its_key(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    f = tmp_path / "t.toml"
    f.write_text(TESTS.replace(*edit))
    r = cli("test", str(REGISTRY / "research_request.toml"), "--tests", str(f))
    assert r.returncode == 2 and expected in r.stderr and "Traceback" not in r.stderr


def test_a_key_the_query_does_not_return_fails_the_test_as_it_would_the_run(tmp_path: Path) -> None:
    request = tmp_path / "request.toml"
    request.write_text((REGISTRY / "research_request.toml").read_text()
                       .replace('catalog = "catalog.toml"', f'catalog = "{REGISTRY / "catalog.toml"}"')
                       .replace("../../queries/", f"{REPO / 'queries'}/")
                       .replace('"age_band", "sex", "region"]', '"age_band", "sexx", "region"]'))
    r = cli("test", str(request))
    assert r.returncode == 2 and "outputs[0].dimensions names 'sexx'" in r.stderr, r.stderr


def test_the_shipped_research_request_carries_a_passing_test() -> None:
    r = cli("test", str(REGISTRY / "research_request.toml"))
    assert r.returncode == 0 and "passed" in r.stdout, r.stderr


# --- errors that teach ------------------------------------------------------------------------------------------

def _draft(tmp_path: Path, sql: str, dims: str = '["sex"]') -> Path:
    text = (REGISTRY / "research_request.toml").read_text()
    text = text.replace('catalog = "catalog.toml"', f'catalog = "{REGISTRY / "catalog.toml"}"')
    text = text.replace('query = "../../queries/research_clients_by_age_sex_region.sql"', 'query = "q.sql"')
    text = text.replace('dimensions = ["service_task", "age_band", "sex", "region"]', f"dimensions = {dims}")
    (tmp_path / "q.sql").write_text(sql)
    (tmp_path / "request.toml").write_text(text)
    return tmp_path / "request.toml"


TEACHING = [
    ("a column in the catalog, not in [variables]",
     "SELECT c.postal_code AS sex, count(*) AS clients\nFROM clients c GROUP BY ALL",
     "q.sql:1:10: the query failed: Binder Error", "add it to [variables].clients"),
    ("a typo in a column", "SELECT\n  c.sexx AS sex, count(*) AS clients FROM clients c GROUP BY ALL",
     "q.sql:2:5:", "did you mean 'sex'?"),
    ("a direct identifier", "SELECT hetu AS sex, count(*) AS clients FROM clients GROUP BY ALL",
     "q.sql:1:8:", "is a direct identifier: it is never given to a query"),
    ("a table not in [variables]", "SELECT title AS sex, count(*) AS clients FROM structures GROUP BY ALL",
     "q.sql:1:47: refused by the sandbox", "add [variables].structures"),
    ("a typo in a table", "SELECT sex, count(*) AS clients\n\nFROM clientz GROUP BY ALL",
     "q.sql:3:6:", "did you mean 'clients'? the request's tables: clients, documents"),
    ("a syntax error", "SELECT sex, count(*) AS clients FROM clients GROUP BY ALL HAVING",
     "q.sql:1:59: not valid SQL", "syntax error"),
    ("a helper misspelt", "SELECT age_bnd(1) AS sex, count(*) AS clients FROM clients",
     "q.sql:1:8:", "did you mean age_band()?"),
    ("a date written as in Finland", "SELECT sex, count(*) AS clients FROM clients\n"
     "WHERE birth_date < DATE '01.01.2000' GROUP BY ALL", "q.sql:2:25:", "a date is written DATE 'YYYY-MM-DD'"),
]


@pytest.mark.parametrize(("case", "sql", "where", "hint"), TEACHING, ids=[t[0] for t in TEACHING])
def test_sql_errors_point_at_line_and_column_and_say_what_to_change(tmp_path: Path, case: str, sql: str,
                                                                    where: str, hint: str) -> None:
    request = _draft(tmp_path, sql)
    data = tmp_path / "data"
    dummy_for(request, data, 200, 1)
    r = cli("try", str(request), "--data", str(data), "--out", str(tmp_path / "t"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert where in r.stderr and hint in r.stderr, r.stderr
    lines = r.stderr.rstrip("\n").splitlines()
    caret = lines[-1].index("^") - 4 + 1  # the caret under the column the first line names
    assert lines[0].split("q.sql:")[1].split(":")[1] == str(caret)


@pytest.mark.parametrize(("dims", "sql", "expected"), [
    ('["sexx"]', "SELECT sex, count(*) AS clients FROM clients GROUP BY ALL",
     "request.toml: outputs[0].dimensions names 'sexx', which the query (q.sql) does not return (did you mean 'sex'?)"),
    ('["sex"]', "SELECT sex, 1 AS x, count(*) AS clients FROM clients GROUP BY ALL",
     "the query returns 'x', which no key of"),
])
def test_a_key_that_does_not_match_the_query_is_named(tmp_path: Path, dims: str, sql: str, expected: str) -> None:
    request = _draft(tmp_path, sql, dims)
    r = cli("try", str(request), "--out", str(tmp_path / "t"), "--persons", "200")
    assert r.returncode == 2 and expected in r.stderr, r.stderr
    assert "tried on dummy data" not in r.stderr  # the request's mistake, not a disclosure refusal


@given(st.text(alphabet="ab\n", max_size=40), st.data())
def test_line_and_column_against_a_reference(text: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(text)))
    lines = text[:position].split("\n")
    assert _line_col(text, position) == (len(lines), len(lines[-1]) + 1)


def test_every_command_and_option_is_described_and_no_flag_shows_a_type() -> None:
    import typer.main

    from extractor.cli import app

    def walk(cmd, path):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    for path, cmd in walk(typer.main.get_command(app), ["extractor"]):
        assert cmd.help, f"{' '.join(path)}: no description"
        for p in cmd.params:
            assert getattr(p, "help", None), f"{' '.join(path)} {p.name}: no description"
    r = cli("run", "--help")
    assert "<bool>" not in r.stdout and "--verbose" in r.stdout



@pytest.mark.parametrize(("old", "new", "expected"), [
    ('clients = ["client_id", "birth_date"', 'clients = ["client_id", "birthdate"',
     "variables.clients: expected a column the catalog declares for 'clients' (did you mean 'birth_date'?)"),
    ('documents = ["client_id", "service_task"]', 'documnets = ["client_id", "service_task"]',
     "variables.documnets: expected a table of the catalog (did you mean 'documents'?)"),
    ('documents = ["client_id", "service_task"]', 'documents = ["client_id", "service_task", "region"]',
     "variables.documents: expected a column of 'documents'; 'region' is a column of 'clients': list it under "
     "[variables].clients"),  # the new-user trial was offered 'version'
])
def test_a_typo_in_variables_gets_a_suggestion(tmp_path: Path, old: str, new: str, expected: str) -> None:
    request = _draft(tmp_path, "SELECT sex, count(*) AS clients FROM clients GROUP BY ALL")
    request.write_text(request.read_text().replace(old, new))
    r = cli("try", str(request), "--persons", "100", "--out", str(tmp_path / "t"))
    assert r.returncode == 2 and expected in r.stderr, r.stderr


def test_the_codebook_of_an_unfinished_draft(tmp_path: Path) -> None:
    draft = tmp_path / "draft.toml"
    draft.write_text(f'[request]\ncatalog = "{REGISTRY / "catalog.toml"}"\npurpose = "audit"\n')
    r = cli("catalog", "show", str(draft))
    assert r.returncode == 0 and "PURPOSE audit" in r.stdout and "TABLE clients" in r.stdout


def _research_request(tmp_path: Path, changes: dict[str, str]) -> Path:
    """The example research request in `tmp_path`, its catalog found where it lies, with `changes` made."""
    text = (REGISTRY / "research_request.toml").read_text(encoding="utf-8").split("[[tests]]")[0]
    text = text.replace('catalog = "catalog.toml"', f'catalog = "{REGISTRY / "catalog.toml"}"')
    for old, new in changes.items():
        text = text.replace(old, new)
    request = tmp_path / "request.toml"
    request.write_text(text, encoding="utf-8")
    return request


def test_try_refusal_of_a_too_fine_grouping_says_group_coarsely_not_more_persons(tmp_path: Path) -> None:
    """More dummy persons would add rows: the row cap's refusal asks for coarser groups instead."""
    sql = tmp_path / "by_birth_date.sql"
    sql.write_text("SELECT c.birth_date AS born, count(DISTINCT c.client_id) AS clients FROM clients c GROUP BY 1\n")
    request = _research_request(tmp_path, {
        'query = "../../queries/research_clients_by_age_sex_region.sql"': f'query = "{sql}"',
        'dimensions = ["service_task", "age_band", "sex", "region"]': 'dimensions = ["born"]'})
    r = cli("try", str(request), "--out", str(tmp_path / "t"))
    assert r.returncode == 2, r.stderr
    assert "more than the aggregate cap" in r.stderr and "group more coarsely" in r.stderr
    assert "--persons" not in r.stderr
    fi = cli("try", str(request), "--out", str(tmp_path / "t"), "--lang", "fi")  # the refusal in the reader's language
    assert fi.returncode == 2 and "enemmän kuin koostetaulukon raja" in fi.stderr
    assert "ryhmittele karkeammin" in fi.stderr
    assert "group more coarsely" not in fi.stderr


def test_a_mistyped_dimension_is_refused_in_finnish_when_the_reader_reads_finnish(tmp_path: Path) -> None:
    request = _research_request(tmp_path, {'query = "../../queries/': f'query = "{REPO / "queries"}/',
                                           '"age_band", "sex"': '"ageband", "sex"'})
    r = cli("try", str(request), "--out", str(tmp_path / "t"), "--lang", "fi")
    assert r.returncode == 2 and "nimeää sarakkeen 'ageband', jota kysely" in r.stderr, r.stderr
    assert "tarkoititko 'age_band'?" in r.stderr
