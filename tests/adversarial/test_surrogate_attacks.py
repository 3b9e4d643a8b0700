"""Attacks on the per-run surrogate keys (protect/surrogates.py) from the researcher's side (request TOML and
SQL only) and on the controller's files: each must end in a one-line refusal, or a release that the checker
passes and that carries no surrogate, raw key or pseudonym it should not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from builders import World, write_world
from conftest import TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import RunResult, run_extract
from extractor.protect.pseudonym import project_key

D = dt.date
KEY = project_key(TEST_KEY.encode(), "T-1")  # the builders' request id is its project
TAG = 1 << 60
CLIENTS = [f"P{i:02d}" for i in range(24)]
OPTED_OUT = "P00"


def _world() -> World:
    return World(clients=CLIENTS, documents=[(f"d{i}", f"o{i}", c, "R1", "20") for i, c in enumerate(CLIENTS)]
                 + [(f"e{i}", f"q{i}", c, "R1", "20") for i, c in enumerate(CLIENTS[:12])],
                 opt_outs=[(OPTED_OUT, D(2025, 1, 1), None)])


def _request(tmp_path: Path, outputs: str, queries: dict[str, str], extra_request: str = "") -> Path:
    """The test world with its one output replaced by `outputs` (TOML), its queries written as <name>.sql."""
    request = write_world(_world(), tmp_path / "w", extra_request=extra_request)
    for name, sql in queries.items():
        (tmp_path / "w" / f"{name}.sql").write_text(sql, encoding="utf-8")
    text = request.read_text(encoding="utf-8")
    request.write_text(text[: text.index("[[outputs]]")] + outputs, encoding="utf-8")
    return request


def _run(request: Path, out: Path) -> RunResult:
    return run_extract(load_config(request), out, TEST_KEY.encode())


def _refused(request: Path, out: Path, match: str) -> str:
    with pytest.raises(ExtractorError, match=match) as info:
        _run(request, out)
    assert "\n" not in str(info.value)
    assert not list(out.rglob("*.csv")), "a refused run left files behind"
    return str(info.value)


def _released(request: Path, out: Path) -> dict[str, pl.DataFrame]:
    result = _run(request, out)
    assert check_release(result.release_dir).passed
    return {p.stem: pl.read_csv(p, infer_schema=False) for p in result.release_dir.glob("*.csv")}


def _records(name: str, dims: list[str], pseudonyms: list[str]) -> str:
    return (f'[[outputs]]\nname = "{name}"\nquery = "{name}.sql"\nkind = "pseudonymised_records"\n'
            f"dimensions = {dims}\npseudonyms = {pseudonyms}\n").replace("'", '"')


def _leak(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"LEAK: {reason}")


# --- 1. pseudonyms of persons the query never saw -----------------------------------------------------------

ENUMERATE = f"SELECT {TAG} + i AS client_id FROM range(1, 200) t(i) WHERE i <= 24"


def test_an_opted_out_person_s_pseudonym_cannot_be_released_by_enumerating_surrogates(tmp_path: Path) -> None:
    request = _request(tmp_path, _records("t", ["client_id"], ["client_id"]), {"t": ENUMERATE})
    files = _released_or_refused(request, tmp_path / "out")
    if files is None:
        return
    assert KEY.pseudonym("person", OPTED_OUT) not in set(files["t"]["client_id"])


def test_enumerated_surrogates_release_no_more_pseudonyms_than_persons_the_query_saw(tmp_path: Path) -> None:
    """The same attack by its count: 24 persons in the registry, 23 reached the query (one opted out)."""
    request = _request(tmp_path, _records("t", ["client_id"], ["client_id"]), {"t": ENUMERATE})
    try:
        result = _run(request, tmp_path / "out")
    except ExtractorError as exc:
        assert "\n" not in str(exc)
        return
    assert result.protected is not None and result.protected.persons == len(CLIENTS) - 1
    assert pl.read_csv(result.release_dir / "t.csv").height <= result.protected.persons


def test_an_excluded_document_s_pseudonym_cannot_be_released_by_enumerating_surrogates(tmp_path: Path) -> None:
    sql = f"SELECT {2 * TAG} + i AS original_oid FROM range(1, 37) t(i)"
    request = _request(tmp_path, _records("t", ["original_oid"], ["original_oid"]), {"t": sql})
    files = _released_or_refused(request, tmp_path / "out")
    if files is None:
        return
    excluded = {KEY.pseudonym("document", "o0"), KEY.pseudonym("document", "q0")}  # P00's documents
    assert not excluded & set(files["t"]["original_oid"])


# --- 2. a surrogate, or something derived from it, released outside a declared pseudonym column -------------

@pytest.fixture()
def drawn(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """The surrogates the run drew (read from the controller's map as it is made), to look for in the files."""
    from extractor.protect.surrogates import Surrogates

    seen: set[int] = set()
    real = Surrogates.make_map

    def spy(self: Surrogates, con, name: str, *args, **kwargs) -> None:  # noqa: ANN001
        real(self, con, name, *args, **kwargs)
        seen.update(p for (p,) in con.execute(f"SELECT p FROM {name}").fetchall())

    monkeypatch.setattr(Surrogates, "make_map", spy)
    return seen


def _leaks(files: dict[str, pl.DataFrame], drawn: set[int], declared: dict[str, list[str]]) -> list[str]:
    """Released columns (not declared pseudonyms) that carry a surrogate, its rank, or per-person values."""
    found = []
    texts = {str(p) for p in drawn} | {f"{p:X}" for p in drawn} | {f"{p:x}" for p in drawn}
    ranks = {str(p % TAG) for p in drawn}
    for name, df in files.items():
        for col in df.columns:
            if col in declared.get(name, []):
                continue
            values = set(df[col].drop_nulls())
            if values & texts or any(t in v for v in values for t in texts):
                found.append(f"{name}.{col}: surrogates")
            elif len(values & ranks) >= 12 and not any(v.isdigit() for v in values - ranks):  # "Total" aside
                found.append(f"{name}.{col}: ranks")
            elif any(_one_to_one(df, own, col) for own in declared.get(name, []) if own in df.columns):
                found.append(f"{name}.{col}: one value per person, beside the pseudonym")
    return found


def _one_to_one(df: pl.DataFrame, a: str, b: str) -> bool:
    n = df[a].n_unique()
    return n >= 12 and df[b].n_unique() == n == df.select(a, b).unique().height


def _released_or_refused(request: Path, out: Path) -> dict[str, pl.DataFrame] | None:
    """The released files, or None when the run was refused in one line and left nothing behind."""
    try:
        return _released(request, out)
    except ExtractorError as exc:
        assert "\n" not in str(exc)
        assert not list(out.rglob("*.csv"))
        return None


def _safe(request: Path, out: Path, drawn: set[int], declared: dict[str, list[str]]) -> str:
    """'refused: …' (one line, nothing left) or 'released' when the checker passes and nothing leaks."""
    try:
        files = _released(request, out)
    except ExtractorError as exc:
        assert "\n" not in str(exc)
        assert not list(out.rglob("*.csv"))
        return f"refused: {exc}"
    leaks = _leaks(files, drawn, declared)
    assert not leaks, leaks
    return "released"


BYPASS = "_refuse_keys looks only at integer columns whose values are >= 1<<60 and equal a surrogate: "
RECORD_SMUGGLES = [  # (attack, SELECT expression for the undeclared column `s`)
    ("the integer surrogate", "client_id"),
    ("the surrogate as UBIGINT", "CAST(client_id AS UBIGINT)"),
    ("the surrogate as DOUBLE (rounded to 256: no longer per person)", "CAST(client_id AS DOUBLE)"),
    ("its rank", f"client_id - {TAG}"),
    ("its rank, by xor", f"xor(client_id, {TAG})"),
    ("the surrogate as text", "CAST(client_id AS VARCHAR)"),
    ("the surrogate inside text", "'id:' || CAST(client_id AS VARCHAR)"),
    ("the surrogate as HUGEINT", "CAST(client_id AS HUGEINT)"),
    ("the surrogate as DECIMAL", "CAST(client_id AS DECIMAL(38, 0))"),
    ("the surrogate reversed as text", "reverse(CAST(client_id AS VARCHAR))"),
    pytest.param("the surrogate in hex", "hex(client_id)", marks=_leak(BYPASS + "a string passes")),
    ("the surrogate in a list", "[client_id]"),
    ("the surrogate in a struct", "{'k': client_id}"),
]


@pytest.mark.parametrize(("attack", "expr"), RECORD_SMUGGLES)
def test_a_surrogate_beside_the_declared_pseudonym_is_not_released(tmp_path: Path, drawn: set[int], attack: str,
                                                                    expr: str) -> None:
    sql = f"SELECT client_id, service_task, {expr} AS s FROM documents"
    request = _request(tmp_path, _records("t", ["client_id", "service_task", "s"], ["client_id"]), {"t": sql})
    _safe(request, tmp_path / "out", drawn, {"t": ["client_id"]})


# --- 3. other output kinds ------------------------------------------------------------------------------------

JOINED = "FROM documents d JOIN clients c USING (client_id)"


def _anonymised(name: str, sensitive: list[str]) -> str:
    return (f'[[outputs]]\nname = "{name}"\nquery = "{name}.sql"\nkind = "anonymised_records"\n'
            f"sensitive = {sensitive}\nk = 5\nl = 2\n[outputs.quasi_identifiers]\n"
            'sex = "builtin:suppress"\n').replace("'", '"')


def _aggregate(name: str, dims: list[str]) -> str:
    return (f'[[outputs]]\nname = "{name}"\nquery = "{name}.sql"\ndimensions = {dims}\ncounts = ["n"]\n'
            ).replace("'", '"')


def _table(name: str, dims: list[str], unit: str, privacy: str = "sdc") -> str:
    return (f'[[outputs]]\nname = "{name}"\nquery = "{name}.sql"\nkind = "table"\nprivacy = "{privacy}"\n'
            f'dimensions = {dims}\nunit = "{unit}"\ncounts = ["n"]\n').replace("'", '"')


ANONYMISED = [
    ("the integer surrogate", "d.client_id"),
    ("the surrogate as text", "CAST(d.client_id AS VARCHAR)"),
    ("the rank", f"d.client_id - {TAG}"),
]


@pytest.mark.parametrize(("attack", "expr"), ANONYMISED)
def test_a_surrogate_as_an_anonymised_record_s_sensitive_value(tmp_path: Path, drawn: set[int], attack: str,
                                                                expr: str) -> None:
    sql = f"SELECT c.sex, {expr} AS s {JOINED}"
    _safe(_request(tmp_path, _anonymised("t", ["s"]), {"t": sql}), tmp_path / "out", drawn, {})


def test_a_surrogate_as_an_anonymised_record_s_quasi_identifier(tmp_path: Path, drawn: set[int]) -> None:
    sql = f"SELECT CAST(d.client_id AS VARCHAR) AS sex, d.service_task AS s {JOINED}"
    _safe(_request(tmp_path, _anonymised("t", ["s"]), {"t": sql}), tmp_path / "out", drawn, {})


def test_two_outputs_of_a_run_cannot_be_linked_through_a_surrogate(tmp_path: Path, drawn: set[int]) -> None:
    outputs = _records("p", ["client_id", "r"], ["client_id"]) + _anonymised("a", ["r"])
    queries = {"p": f"SELECT client_id, CAST(client_id - {TAG} AS VARCHAR) AS r FROM clients",
               "a": f"SELECT c.sex, CAST(d.client_id - {TAG} AS VARCHAR) AS r {JOINED}"}
    files = _released_or_refused(_request(tmp_path, outputs, queries), tmp_path / "out")
    if files is None:
        return
    linked = files["a"].join(files["p"], on="r")
    assert linked.height < 12, linked


AGGREGATES = [
    ("the integer surrogate", "d.client_id"),
    ("the surrogate as text", "CAST(d.client_id AS VARCHAR)"),
    ("the rank", f"d.client_id - {TAG}"),
    ("the surrogate's low byte (24 persons: still unique)", "d.client_id % 256"),
]


@pytest.mark.parametrize(("attack", "expr"), AGGREGATES)
def test_a_surrogate_as_an_aggregate_dimension(tmp_path: Path, drawn: set[int], attack: str, expr: str) -> None:
    sql = f"SELECT {expr} AS who, count(*) AS n {JOINED} GROUP BY ALL"
    _safe(_request(tmp_path, _aggregate("t", ["who"]), {"t": sql}), tmp_path / "out", drawn, {})


TABLE_ROWS = (BYPASS + "a table's text dimension lists every included person's surrogate, one row each with "
              "the count redacted (sdc) or 0 (cell_key); the checker's person-level test is run on aggregates only")
TABLES = [
    ("sdc, the unit also a dimension", ["client_id"], "client_id", "sdc"),
    ("cell_key, the unit also a dimension", ["client_id"], "client_id", "cell_key"),
    ("sdc, the surrogate as text", ["who"], "client_id", "sdc"),
    ("cell_key, the surrogate as text", ["who"], "client_id", "cell_key"),
]


@pytest.mark.parametrize(("attack", "dims", "unit", "privacy"), TABLES)
def test_a_surrogate_as_a_table_dimension(tmp_path: Path, drawn: set[int], attack: str, dims: list[str], unit: str,
                                          privacy: str) -> None:
    sql = "SELECT " + ", ".join(dict.fromkeys([*dims, unit])).replace("who", "CAST(client_id AS VARCHAR) AS who") \
        + " FROM documents"
    request = _request(tmp_path, _table("t", dims, unit, privacy), {"t": sql})
    _safe(request, tmp_path / "out", drawn, {})


def test_a_table_cannot_carry_person_level_rows_in_its_dimensions(tmp_path: Path, drawn: set[int]) -> None:
    sql = (f"SELECT CAST(d.client_id - {TAG} AS VARCHAR) AS who, d.service_task, d.client_id {JOINED}")
    request = _request(tmp_path, _table("t", [["who", "service_task"]], "client_id"), {"t": sql})
    _safe(request, tmp_path / "out", drawn, {})


# --- 4. another person's pseudonym in a declared column ------------------------------------------------------

def test_a_shifted_surrogate_names_no_one_the_query_did_not_see(tmp_path: Path) -> None:
    sql = (f"SELECT DISTINCT client_id + k AS client_id FROM clients, range(1, 25) t(k) "
           f"WHERE client_id + k <= (SELECT max(client_id) FROM clients) + 1 AND client_id + k < {TAG} + 25")
    files = _released_or_refused(_request(tmp_path, _records("t", ["client_id"], ["client_id"]), {"t": sql}),
                                 tmp_path / "out")
    if files is None:
        return
    assert KEY.pseudonym("person", OPTED_OUT) not in set(files["t"]["client_id"])


def test_a_document_key_in_a_declared_column_gets_the_document_pseudonym_not_a_person_s(tmp_path: Path) -> None:
    """Domains stay apart: a document surrogate released as 'client_id' is a document's pseudonym."""
    sql = "SELECT original_oid AS client_id, service_task FROM documents"
    files = _released(_request(tmp_path, _records("t", ["client_id", "service_task"], ["client_id"]), {"t": sql}),
                      tmp_path / "out")
    released = set(files["t"]["client_id"])
    assert not released & {KEY.pseudonym("person", c) for c in CLIENTS}
    assert released <= {KEY.pseudonym("document", f"{x}{i}") for x in "oq" for i in range(len(CLIENTS))}


def test_a_transformed_cell_key_unit_is_refused(tmp_path: Path) -> None:
    sql = "SELECT service_task, client_id + 1000 AS client_id FROM documents"
    request = _request(tmp_path, _table("t", ["service_task"], "client_id", "cell_key"), {"t": sql})
    _refused(request, tmp_path / "out", r"column 'client_id' holds values that are not keys as the sandbox gave them")


@pytest.mark.parametrize("unit", ["'x' || CAST(client_id AS VARCHAR)", "service_task", f"{TAG} - 1"])
def test_a_cell_key_unit_that_is_not_a_key_at_all_is_refused(tmp_path: Path, unit: str) -> None:
    sql = f"SELECT service_task, {unit} AS client_id FROM documents"
    request = _request(tmp_path, _table("t", ["service_task"], "client_id", "cell_key"), {"t": sql})
    _refused(request, tmp_path / "out", r"column 'client_id' holds values that are not keys as the sandbox gave them")


def test_a_cell_key_unit_given_as_the_surrogate_s_digits_is_the_same_person(tmp_path: Path, drawn: set[int]) -> None:
    """A text unit of a surrogate's digits is read back as that surrogate: the same record key, nothing released."""
    sql = "SELECT service_task, CAST(client_id AS VARCHAR) AS client_id FROM documents"
    _safe(_request(tmp_path, _table("t", ["service_task"], "client_id", "cell_key"), {"t": sql}), tmp_path / "out",
          drawn, {})


# --- 5. the controller's files -------------------------------------------------------------------------------

DISTINCT_KEYS = [f"QX7K{i:03d}ZZ" for i in range(24)]


def _distinct_world_run(tmp_path: Path) -> tuple[RunResult, Path]:
    w = World(clients=DISTINCT_KEYS, documents=[(f"DOCV{i:03d}YY", f"DOCK{i:03d}WW", c, "R1", "20")
                                                for i, c in enumerate(DISTINCT_KEYS)],
              opt_outs=[(DISTINCT_KEYS[0], D(2025, 1, 1), None)])
    request = write_world(w, tmp_path / "w", query="SELECT client_id, original_oid, service_task FROM documents")
    text = request.read_text(encoding="utf-8")
    request.write_text(text[: text.index("[[outputs]]")] + _records(
        "t", ["client_id", "original_oid", "service_task"], ["client_id", "original_oid"]).replace(
        'query = "t.sql"', 'query = "q.sql"'), encoding="utf-8")
    out = tmp_path / "out"
    return run_extract(load_config(request), out, TEST_KEY.encode()), out


def test_no_raw_key_lands_in_release_review_notices_or_any_readable_file(tmp_path: Path) -> None:
    result, out = _distinct_world_run(tmp_path)
    assert check_release(result.release_dir).passed
    raw = [k.encode() for k in DISTINCT_KEYS] + [f"DOC{x}{i:03d}".encode() for x in "VK" for i in range(24)]
    controller = result.run_dir / "controller"
    for path in out.rglob("*"):
        if not path.is_file() or controller in path.parents:
            continue
        data = path.read_bytes()
        hit = [k for k in raw if k in data]
        assert not hit, (path, hit[:3])
    for path in controller.rglob("*"):  # the controller's own files: encrypted or counts only
        if path.is_file() and path.suffix != ".toml":
            assert not [k for k in raw if k in path.read_bytes()], path


def test_the_persons_file_opens_with_the_project_key_only(tmp_path: Path) -> None:
    import json

    from cryptography.fernet import Fernet, InvalidToken

    from extractor.reports.transparency import PERSONS_PURPOSE, read_persons

    result, _ = _distinct_world_run(tmp_path)
    persons = read_persons(result.run_dir, TEST_KEY.encode())
    assert persons is not None and set(persons["person"]) == set(DISTINCT_KEYS)
    assert not persons.filter(pl.col("person") == DISTINCT_KEYS[0])["included"].item()
    with pytest.raises(ExtractorError, match=r"cannot decrypt with this key") as info:
        read_persons(result.run_dir, b"another-controller-key-0123456789abcdef")
    assert "\n" not in str(info.value)
    token = (result.run_dir / "controller" / "persons.parquet.fernet").read_bytes()
    for wrong in (project_key(TEST_KEY.encode(), "T-2").encryption_key(PERSONS_PURPOSE),
                  KEY.encryption_key("reidentification-map"), KEY.encryption_key("persons ")):
        with pytest.raises(InvalidToken):
            Fernet(wrong).decrypt(token)
    assert json.loads((result.run_dir / "controller" / "persons.json").read_text()) == {"included": 23}


def test_a_tampered_persons_file_does_not_decrypt(tmp_path: Path) -> None:
    from extractor.reports.transparency import read_persons

    result, _ = _distinct_world_run(tmp_path)
    path = result.run_dir / "controller" / "persons.parquet.fernet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.chmod(0o600)
    path.write_bytes(bytes(data))
    with pytest.raises(ExtractorError, match=r"cannot decrypt"):
        read_persons(result.run_dir, TEST_KEY.encode())


ONE = "(SELECT min(client_id) FROM clients)"  # a real person's key, the same on every row
# The made-up rows without a join (a join that makes rows is refused): ten copies of the real cell by UNION
# ALL, k padding rows for copy k and n rows for each calibration cell from one generated series each.
CALIBRATED = "\nUNION ALL ".join([f"SELECT 'r{k}' AS grp, {ONE} AS client_id FROM documents" for k in range(10)]) + f"""
UNION ALL SELECT 'r' || (x // 10), {ONE} FROM range(0, 100) t(x) WHERE x % 10 < x // 10
UNION ALL SELECT 'c' || lpad(CAST(x // 60 AS VARCHAR), 3, '0'), {ONE} FROM range(480, 3600) t(x)
WHERE x % 60 < x // 60"""


def test_a_constant_cell_key_unit_does_not_give_the_noise_away(tmp_path: Path) -> None:
    """Was a known leak: a cell-key table whose unit is one constant key (a real person's, chosen by the query)
    gives every record the same record key rk, so a cell's key is n*rk mod 256; cells of rows the query made
    up, of known counts, pin rk down from the published noise, and copies of a real cell padded by k made-up
    rows then give its exact count through the public p-table. The copies are a UNION of the documents' rows
    with themselves, now refused (row_multiplication.py); were it released, the count must not be pinned."""
    import numpy as np

    from extractor.disclosure.tables.cell_key import KEYS, build_ptable

    request = _request(tmp_path, _table("t", ["grp"], "client_id", "cell_key"), {"t": CALIBRATED})
    try:
        files = _released(request, tmp_path / "out")
    except ExtractorError as exc:
        assert "a UNION whose branches read the same table's rows" in str(exc)
        assert not list((tmp_path / "out").rglob("*.csv"))
        return
    published = dict(zip(files["t"]["grp"], files["t"]["n"].cast(pl.Int64), strict=True))
    ptable = build_ptable(7, 3, 2.0)  # the policy's defaults: public

    def seen(counts: list[int], rk: int) -> list[int]:
        c = np.array(counts)
        return ptable.perturb(c, c * rk % KEYS).tolist()

    known = {int(g[1:]): v for g, v in published.items() if g.startswith("c")}
    keys = [rk for rk in range(KEYS) if seen(list(known), rk) == list(known.values())]
    padded = [published[f"r{k}"] for k in range(10)]
    truth = [t for rk in keys for t in range(padded[0] - 3, padded[0] + 4)
             if seen([t + k for k in range(10)], rk) == padded]
    assert len(set(truth)) != 1, f"record key {keys}, the real cell's exact count: {truth} (34 documents)"


# --- 6. date shifting -----------------------------------------------------------------------------------------

def test_date_shifts_are_one_per_person_across_tables_and_within_bounds(tmp_path: Path) -> None:
    w = World(clients=CLIENTS, documents=[(f"d{i}", f"o{i}", c, "R1", "20", "S1", D(2024, 1, 1))
                                          for i, c in enumerate(CLIENTS)], deaths={c: D(2025, 6, 1) for c in CLIENTS})
    request = write_world(w, tmp_path / "w", extra_request="[protection]\ndate_shift_days = 30\n",
                          query="SELECT c.client_id, CAST(c.birth_date AS VARCHAR) AS born, CAST(c.death_date AS "
                                "VARCHAR) AS died, CAST(d.matter_closed_on AS VARCHAR) AS closed "
                                "FROM clients c JOIN documents d USING (client_id)")
    text = request.read_text(encoding="utf-8")
    request.write_text(text[: text.index("[[outputs]]")] + _records(
        "t", ["client_id", "born", "died", "closed"], ["client_id"]).replace('"t.sql"', '"q.sql"'), encoding="utf-8")
    files = _released(request, tmp_path / "out")
    rows = files["t"].with_columns(pl.col("born", "died", "closed").str.to_date())
    by_pseudonym = {KEY.pseudonym("person", c): c for c in CLIENTS}
    shifts = set()
    for row in rows.iter_rows(named=True):
        person = by_pseudonym[row["client_id"]]
        shift = (row["born"] - D(1980, 1, 1)).days
        assert shift == KEY.date_shift(person, 30) and abs(shift) <= 30
        assert (row["died"] - D(2025, 6, 1)).days == shift == (row["closed"] - D(2024, 1, 1)).days
        shifts.add(shift)
    assert len(shifts) > 5  # per person, not one shift for all


def test_a_shift_cannot_be_read_off_as_a_cross_table_key(tmp_path: Path, drawn: set[int]) -> None:
    """The shift itself (birth date minus a date the researcher guesses) as an aggregate's dimension: at most
    61 values over 23 persons, a category the checker must not take for person-level rows only when it is."""
    sql = ("SELECT CAST(c.birth_date - DATE '1980-01-01' AS VARCHAR) AS shift, count(*) AS n "
           f"{JOINED} GROUP BY ALL")
    request = _request(tmp_path, _aggregate("t", ["shift"]), {"t": sql}, extra_request="[protection]\n"
                       "date_shift_days = 30\n")
    assert _safe(request, tmp_path / "out", drawn, {}).startswith("refused: ")


# --- 7. notes that name their subject by the project pseudonym (free_text_subject = "pseudonym") ------------

NOTE_VARIABLES = ('[protection]\nfree_text_subject = "pseudonym"\n[variables]\n'
                  'documents = ["client_id", "service_task", "note"]\nclients = ["client_id", "sex"]\n')


def _with_notes(request: Path) -> Path:
    """The world's documents with a note naming its subject by identity code, declared free text."""
    folder = request.parent
    docs = pl.read_parquet(folder / "documents.parquet")
    docs.with_columns(pl.lit("Asiakas 010101-0101 soitti tänään.").alias("note")).write_parquet(
        folder / "documents.parquet")
    catalog = (folder / "catalog.toml").read_text(encoding="utf-8")
    (folder / "catalog.toml").write_text(catalog.replace('matter_closed_on = "date"\n',
                                                         'matter_closed_on = "date"\nnote = "free_text"\n', 1),
                                         encoding="utf-8")
    return request


def _pseudonym_pieces(files: dict[str, pl.DataFrame], declared: dict[str, list[str]]) -> list[str]:
    """Released cells outside declared columns holding 10 or more hex digits of a person's project pseudonym."""
    pieces = {KEY.pseudonym("person", c)[i:i + 10] for c in CLIENTS for i in range(0, 23)}
    found = []
    for name, df in files.items():
        for col in (c for c in df.columns if c not in declared.get(name, [])):
            for value in df[col].drop_nulls().str.to_lowercase():
                if any(p in value for p in pieces):
                    found.append(f"{name}.{col}: {value}")
                    break
    return found


NOTE_LEAK = ("a note's subject tag is the stable project pseudonym inside the sandbox; the query cuts out a "
             "12-digit prefix and releases it as an anonymised file's sensitive value: no scan can tell a short "
             "hex string from any other code, so the file carries a stable, cross-run person identifier")
NOTE_SMUGGLES = [  # (attack, output kind, expression over the note)
    ("the pseudonym, as the note has it", "anonymised", "regexp_extract(d.note, '<([0-9a-f]{32})>', 1)"),
    ("the pseudonym in capitals", "anonymised", "upper(regexp_extract(d.note, '<([0-9a-f]{32})>', 1))"),
    pytest.param("a 12-digit prefix of the pseudonym", "anonymised",
                 "substr(regexp_extract(d.note, '<([0-9a-f]{32})>', 1), 1, 12)", marks=_leak(NOTE_LEAK)),
    ("the pseudonym reversed (32 hex digits still)", "anonymised",
     "reverse(regexp_extract(d.note, '<([0-9a-f]{32})>', 1))"),
    ("a 12-digit prefix as an aggregate's dimension", "aggregate",
     "substr(regexp_extract(d.note, '<([0-9a-f]{32})>', 1), 1, 12)"),
]


@pytest.mark.parametrize(("attack", "kind", "expr"), NOTE_SMUGGLES)
def test_a_note_s_subject_pseudonym_is_not_released_outside_a_pseudonym_column(tmp_path: Path, attack: str,
                                                                               kind: str, expr: str) -> None:
    if kind == "anonymised":
        outputs, sql = _anonymised("t", ["s"]), f"SELECT c.sex, {expr} AS s {JOINED}"
    else:
        outputs, sql = _aggregate("t", ["s"]), f"SELECT {expr} AS s, count(*) AS n {JOINED} GROUP BY ALL"
    request = _with_notes(_request(tmp_path, outputs, {"t": sql}, extra_request=NOTE_VARIABLES))
    files = _released_or_refused(request, tmp_path / "out")
    if files is None:
        return
    assert not _pseudonym_pieces(files, {})


def test_a_note_moved_to_another_person_s_row_is_refused(tmp_path: Path) -> None:
    # One row always: the first document's person beside a note of someone else's. (The first and the last
    # document by surrogate can be one person's, about one run in fifty: an empty release, then, not a refusal.)
    sql = ("WITH first AS (SELECT client_id FROM documents ORDER BY doc_id LIMIT 1), "
           "other AS (SELECT note FROM documents WHERE client_id NOT IN (SELECT client_id FROM first) "
           "ORDER BY doc_id LIMIT 1) SELECT f.client_id, o.note FROM first f, other o")
    request = _with_notes(_request(tmp_path, _records("t", ["client_id", "note"], ["client_id"]), {"t": sql},
                                   extra_request=NOTE_VARIABLES.replace('"service_task", "note"',
                                                                        '"doc_id", "service_task", "note"')))
    try:
        _run(request, tmp_path / "out")
    except ExtractorError as exc:
        assert "\n" not in str(exc) and "pseudonym" in str(exc)
        return
    pytest.fail("a note naming another person was released beside this person's pseudonym")
