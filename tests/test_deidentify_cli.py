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


def test_dates_become_their_month_unless_kept(tmp_path: Path) -> None:
    """A date is an indirect identifier (a birth date, a hospital stay): by default it becomes its month, as a
    request's notes do; a range's first day goes with it."""
    source = tmp_path / "in.csv"
    pl.DataFrame({"note": ["Asiakas (s. 7.9.1950) oli sairaalassa 12.\u201319.2.2024."]}).write_csv(source)
    done = cli(str(source), "--text-column", "note", "--out", str(tmp_path / "o.csv"))
    assert done.returncode == 0 and "3 dates generalised to their month" in done.stdout, done.stderr
    assert pl.read_csv(tmp_path / "o.csv")["note"].to_list() == [
        "Asiakas (s. syyskuu 1950) oli sairaalassa helmikuu 2024."]
    kept = cli(str(source), "--text-column", "note", "--out", str(tmp_path / "k.csv"), "--dates", "keep")
    assert kept.returncode == 0 and "dates kept" in kept.stdout
    assert "7.9.1950" in pl.read_csv(tmp_path / "k.csv")["note"][0]
    bad = cli(str(source), "--text-column", "note", "--out", str(tmp_path / "b.csv"), "--dates", "shift")
    assert bad.returncode == 2 and "--dates 'shift': expected month or keep" in bad.stderr


@pytest.mark.parametrize(("encoding", "separator"), [("utf-8-sig", ";"), ("cp1252", ";"), ("utf-8", "\t")])
def test_a_csv_as_excel_exports_it(tmp_path: Path, encoding: str, separator: str) -> None:
    """Finnish Excel writes semicolons and Windows-1252; a tab-separated export too."""
    source = tmp_path / "in.csv"
    source.write_bytes(f"id{separator}note\r\n1{separator}Soitin Jääskeläiselle, puh 040 123 4567.\r\n"
                       .encode(encoding))
    done = cli(str(source), "--text-column", "note", "--out", str(tmp_path / "o.csv"))
    assert done.returncode == 0, done.stderr
    assert pl.read_csv(tmp_path / "o.csv")["note"].to_list() == ["Soitin <NIMI>, puh <PUHELINNUMERO>."]


def test_allow_keeps_a_term_in_every_form_even_one_the_name_register_holds(tmp_path: Path) -> None:
    """`--allow` said "never a name" but reached only words no dictionary knows: a place that is also a surname
    in the register, or an inflected form, was still removed."""
    source = tmp_path / "notes.csv"
    source.write_text('note\n"Kävi Hatanpään sairaalassa, asiointi Kannassa. Kaukajärvelle muutto. '
                      'Matti Virtanen soitti."\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    r = cli(str(source), "--text-column", "note", "--out", str(out), "--allow", "Hatanpää",
            "--allow", "kanta", "--allow", "Kaukajärvi")
    assert r.returncode == 0, r.stderr
    text = pl.read_csv(out)["note"][0]
    assert "Hatanpään" in text and "Kannassa" in text and "Kaukajärvelle" in text
    assert "Matti" not in text and "Virtanen" not in text
