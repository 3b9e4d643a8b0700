"""Fuzzed inputs: broken exports end in a correct run or a one-line error naming the file — nothing else.

Hypothesis takes the export world (tests/inputs/export_world.py) and damages one of its files: a value
of the wrong type, an empty or missing or extra or duplicated column, NUL bytes, another encoding or
delimiter than declared, a BOM, a 10,000-character cell, dates out of range, the file as Parquet with
other types or as a table of a DuckDB database (all text, as an OMOP database may hold it). Every case
must either release (and pass the output checker) or raise one ExtractorError of one line that names the
damaged file or a catalog key — never another exception, never a partial output. FUZZ_EXAMPLES sets how
many cases (default 60); FUZZ_STATS=path writes the outcome counts.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl
import pytest
from export_world import write_export
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
TODAY = dt.date(2026, 11, 1)
FILES = ("clients.csv", "documents.csv", "bans.csv", "opt_outs.csv")
STATS: Counter[str] = Counter()
if os.environ.get("FUZZ_STATS"):
    atexit.register(lambda: Path(os.environ["FUZZ_STATS"]).write_text(json.dumps(STATS, indent=1)))

ODD = st.one_of(st.sampled_from(["", " ", "x", "31.02.2024", "1.1.0001", "31.12.9999", "0.0.2020", "2026-13-01",
                                 "9O,0", "1e309", "-0", "NaN", "NULL", "\x00", "a\x00b", "'=1+1", "\"", "\"\"",
                                 ";", "\r", "é", "€", "x" * 10_000]),
                st.text(max_size=20))


def _rows(path: Path, encoding: str) -> list[list[str]]:
    return [line.split(";") for line in path.read_bytes().decode(encoding).split("\r\n") if line]


def _write(path: Path, rows: list[list[str]], encoding: str, delimiter: str = ";") -> None:
    path.write_bytes(("\r\n".join(delimiter.join(r) for r in rows) + "\r\n").encode(encoding, errors="replace"))


@st.composite
def damage(draw) -> tuple[str, str, dict]:
    name = draw(st.sampled_from(FILES))
    kind = draw(st.sampled_from(["value", "empty column", "missing column", "extra column", "duplicate header",
                                 "nul", "encoding", "delimiter", "bom", "long cell", "parquet", "duckdb",
                                 "no rows", "short row"]))
    return name, kind, {"value": draw(ODD), "column": draw(st.integers(0, 5)), "row": draw(st.integers(1, 4))}


def apply(folder: Path, name: str, kind: str, p: dict) -> None:
    path = folder / name
    rows = _rows(path, "cp1252")
    col = p["column"] % len(rows[0])
    row = min(p["row"], len(rows) - 1)
    match kind:
        case "value" if row >= 1:
            rows[row][col] = p["value"].replace(";", ",").replace("\r", "").replace("\n", "")
        case "empty column":
            for r in rows[1:]:
                r[col] = ""
        case "missing column":
            rows = [r[:col] + r[col + 1:] for r in rows]
        case "extra column":
            rows = [r + [("extra" if i == 0 else p["value"].replace(";", ","))] for i, r in enumerate(rows)]
        case "duplicate header":
            rows[0][(col + 1) % len(rows[0])] = rows[0][col]
        case "nul" if row >= 1:
            rows[row][col] = rows[row][col] + "\x00"
        case "encoding":  # UTF-8 bytes where the catalog says Windows-1252
            path.write_bytes("\r\n".join(";".join(r) for r in rows).replace("a", "ä").encode("utf-8") + b"\r\n")
            return
        case "delimiter":
            _write(path, rows, "cp1252", ",")
            return
        case "bom":
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
            return
        case "long cell" if row >= 1:
            rows[row][col] = "y" * 10_000
        case "parquet":  # the same rows as Parquet under the .csv name's catalog entry: text and nulls
            frame = pl.DataFrame({h: [r[i] if i < len(r) and r[i] else None for r in rows[1:]]
                                  for i, h in enumerate(rows[0])}, schema={h: pl.String for h in rows[0]})
            path.unlink()
            frame.write_parquet(path.with_suffix(".parquet"))
            catalog = folder / "catalog.toml"
            text = catalog.read_text(encoding="utf-8").replace(f'path = "{name}"', f'path = "{path.stem}.parquet"')
            catalog.write_text(text, encoding="utf-8")
            return
        case "duckdb":  # the same rows as a table of a DuckDB database (as OMOP databases come), all text
            frame = pl.DataFrame({h: [r[i] if i < len(r) and r[i] else None for r in rows[1:]]
                                  for i, h in enumerate(rows[0])}, schema={h: pl.String for h in rows[0]})
            path.unlink()
            with duckdb.connect(str(folder / "export.duckdb")) as con:
                con.register("frame", frame.to_arrow())
                con.execute(f'CREATE TABLE "{path.stem}" AS SELECT * FROM frame')
            catalog = folder / "catalog.toml"
            text = catalog.read_text(encoding="utf-8").replace(f'path = "{name}"',
                                                               f'path = "export.duckdb"\ntable = "{path.stem}"')
            catalog.write_text(text, encoding="utf-8")
            return
        case "no rows":
            rows = rows[:1]
        case "short row" if row >= 1:
            rows[row] = rows[row][:1]
    _write(path, rows, "cp1252")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
@given(case=damage())
def test_damaged_exports_run_or_fail_in_one_line(tmp_path_factory: pytest.TempPathFactory, case) -> None:
    name, kind, params = case
    folder = tmp_path_factory.mktemp("fuzz")
    request = write_export(folder / "w")
    apply(folder / "w", name, kind, params)
    out = folder / "out"
    STATS["cases"] += 1
    try:
        result = run_extract(load_config(request, today=TODAY), out, TEST_KEY.encode())
    except ExtractorError as exc:
        text = str(exc)
        assert text and "\n" not in text and "\r" not in text, repr(text)
        assert any(f in text for f in (*FILES, name.replace(".csv", ".parquet"), "export.duckdb", "catalog.toml",
                                       "q.sql")), text
        assert not list(out.glob("EXP-1/*/release")), "a failed run leaves no output"
        STATS["clear errors"] += 1
        detail = f": {text.split(': ', 1)[-1][:70]}" if os.environ.get("FUZZ_VERBOSE") else ""
        event(f"refused: {kind}{detail}")
        return
    STATS["runs"] += 1
    event(f"released: {kind}")
    assert check_release(result.release_dir).passed
