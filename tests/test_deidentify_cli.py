"""`extractor deidentify`: a file in, the same file with its text column de-identified out, spans beside it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from conftest import run_env

NOTES = ["Soitin matti virtaselle, puh 040 123 4567.", "Hans mamma Ingrid vill ha kontakt.", None,
         "Hetu 131052-308T tarkistettu."]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "extractor.cli", "deidentify", *args], capture_output=True,
                          text=True, env=run_env(), timeout=300)


@pytest.mark.parametrize(("source", "target"), [("in.csv", "out.parquet"), ("in.parquet", "out.jsonl"),
                                                ("in.jsonl", "out.csv")])
def test_every_format_in_and_out(tmp_path: Path, source: str, target: str) -> None:
    frame = pl.DataFrame({"id": ["1", "2", "3", "4"], "note": NOTES})
    path = tmp_path / source
    {"csv": frame.write_csv, "parquet": frame.write_parquet, "jsonl": frame.write_ndjson}[source.split(".")[1]](path)
    done = cli(str(path), "--text-column", "note", "--out", str(tmp_path / target), "--spans",
               str(tmp_path / "spans.jsonl"))
    assert done.returncode == 0, done.stderr
    assert "1 sv" in done.stdout and "2 PERSON" in done.stdout
    out_path = tmp_path / target
    back = {"csv": pl.read_csv, "parquet": pl.read_parquet, "jsonl": pl.read_ndjson}[target.split(".")[1]](out_path)
    assert back["note"].to_list() == ["Soitin <NIMI>, puh <PUHELINNUMERO>.", "Hans mamma <NIMI> vill ha kontakt.",
                                      None, "Hetu <HENKILÖTUNNUS> tarkistettu."]
    spans = [json.loads(line) for line in (tmp_path / "spans.jsonl").read_text().splitlines()]
    assert [(s["row"], NOTES[s["row"]][s["start"]:s["end"]], s["entity"]) for s in spans] == [
        (0, "matti virtaselle", "PERSON"), (0, "040 123 4567", "PHONE_NUMBER"), (1, "Ingrid", "PERSON"),
        (3, "131052-308T", "FI_PERSONAL_IDENTITY_CODE")]


@pytest.mark.parametrize(("args", "message"), [
    (["{in}", "--text-column", "text", "--out", "{dir}/o.csv"], "no column 'text'; the columns are id, note"),
    (["{dir}/missing.csv", "--text-column", "note", "--out", "{dir}/o.csv"], "missing.csv: file not found"),
    (["{in}", "--text-column", "note", "--out", "{dir}/o.xlsx"], "expected a .csv, .parquet or .jsonl output"),
    (["{in}", "--text-column", "note", "--out", "{in}"], "would overwrite the input"),
    (["{in}", "--text-column", "id", "--out", "{dir}/o.csv"], "column 'id' is Int64, expected text"),
    (["{in}", "--text-column", "note", "--out", "{dir}/o.csv", "--lang", "de"], "--lang 'de': expected auto"),
    (["{in}", "--text-column", "note", "--out", "{dir}/o.csv", "--spans", "{dir}/s.txt"], "expected a .jsonl"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    source = tmp_path / "in.parquet"
    pl.DataFrame({"id": [1], "note": ["Matti soitti."]}).write_parquet(source)
    done = cli(*[a.format(**{"in": source, "dir": tmp_path}) for a in args])
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]
