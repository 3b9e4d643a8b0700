"""Registers and tables as controllers really export them (issue 16): typed, messy, every fault named."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from export_world import BANS, CLIENTS, parquet_bans, write_export

from conftest import TEST_KEY, run_env
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract

TODAY = dt.date(2026, 11, 1)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True,
                          env=run_env(), timeout=300)


@pytest.mark.parametrize(("encoding", "bom"), [("cp1252", False), ("utf-8", True), ("utf-8", False)],
                         ids=["windows-1252", "utf-8 with BOM", "utf-8"])
def test_a_finnish_export_runs_from_its_declared_types(tmp_path: Path, encoding: str, bom: bool) -> None:
    request = write_export(tmp_path / "w", encoding, bom)
    result = run_extract(load_config(request, today=TODAY), tmp_path / "out", TEST_KEY.encode())
    table = pl.read_csv(result.release_dir / "t.csv", infer_schema=False)
    assert set(table["postal_code"]) <= {"00100", "00530", "20100", "90100"}  # leading zeros kept
    assert "00100" in set(table["postal_code"])
    # the ban on 0102 at registrar R1 (never revoked: an empty column) leaves D3 out
    banned = [r.rows for r in result.eligibility.ledger
              if r.table == "documents" and r.rule == "disclosure_ban_registrar"]
    assert banned == [1]


def test_a_ban_naming_an_unknown_person_is_named_with_its_line(tmp_path: Path) -> None:
    request = write_export(tmp_path / "w")
    result = run_extract(load_config(request, today=TODAY), tmp_path / "out", TEST_KEY.encode())
    warning = next(w for w in result.eligibility.warnings if "not in the data" in w)
    assert warning == "bans.csv: 1 row(s) name a person not in the data, so they apply to no one (lines 3)"
    html = (result.run_dir / "review" / "review.html").read_text(encoding="utf-8")
    assert "apply to no one (lines 3)" in html and "9999" not in html  # a line number, never a person key


def test_the_policy_can_stop_on_an_unknown_person(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    request = write_export(folder, extra='policy = "policy.toml"')
    from extractor.config.policy import default_policy_path

    text = default_policy_path().read_text(encoding="utf-8").replace('unknown_person = "warn"',
                                                                     'unknown_person = "stop"')
    (folder / "policy.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ExtractorError, match=r"bans\.csv: 1 row\(s\) name a person not in the data .*lines 3"):
        run_extract(load_config(request, today=TODAY), tmp_path / "out", TEST_KEY.encode())
    assert not any((tmp_path / "out").rglob("release"))


def test_a_value_that_does_not_parse_is_named_with_file_line_and_format(tmp_path: Path) -> None:
    clients = [*CLIENTS[:2], ("0103", "31.02.2024", "20100", "64", "Pekka")]
    request = write_export(tmp_path / "w", clients=clients)
    done = cli("run", str(request), "--out", str(tmp_path / "out"), "--today", "2026-11-01")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'w' / 'clients.csv'}:4: column birth_date: expected a date in %d.%m.%Y, "
        "got '31.02.2024'"]
    assert not any((tmp_path / "out").rglob("release")), "nothing written"


def test_a_decimal_that_does_not_parse_is_named(tmp_path: Path) -> None:
    clients = [*CLIENTS[:3], ("0104", "28.2.1960", "90100", "9O,0", "Outi")]
    request = write_export(tmp_path / "w", clients=clients)
    with pytest.raises(ExtractorError, match=r"clients\.csv:5: column weight: expected a decimal number with a "
                                             r"decimal comma, got '9O,0'"):
        run_extract(load_config(request, today=TODAY), tmp_path / "out", TEST_KEY.encode())


def test_a_wrong_encoding_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    request = write_export(folder, "utf-8")
    text = (folder / "catalog.toml").read_text(encoding="utf-8").replace('encoding = "utf-8"',
                                                                         'encoding = "utf-16"', 1)
    (folder / "catalog.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ExtractorError, match=r"clients\.csv: .* is not utf-16 text \(the catalog's encoding\)"):
        run_extract(load_config(request, today=TODAY), tmp_path / "out", TEST_KEY.encode())


def test_today_replays_a_scenario_and_is_recorded(tmp_path: Path) -> None:
    later = [(*BANS[0][:3], "1.2.2030", "", "")]  # a ban recorded on a date after the machine's today
    request = write_export(tmp_path / "w", bans=later)
    done = cli("run", str(request), "--out", str(tmp_path / "out1"))
    assert done.returncode == 2 and "a date after today" in done.stderr and "bans.csv:2" in done.stderr
    done = cli("run", str(request), "--out", str(tmp_path / "out2"), "--today", "2030-03-01")
    assert done.returncode == 0, done.stderr
    manifest = json.loads(next((tmp_path / "out2").rglob("manifest.json")).read_text(encoding="utf-8"))
    assert (manifest["today"], manifest["today_from"]) == ("2030-03-01", "--today")
    html = next((tmp_path / "out2").rglob("review.html")).read_text(encoding="utf-8")
    assert "1 Mar 2030 (--today)" in html
    bad = cli("run", str(request), "--out", str(tmp_path / "out3"), "--today", "tomorrow")
    assert bad.returncode == 2 and bad.stderr.strip() == "error: --today: expected a date YYYY-MM-DD, got 'tomorrow'"


def test_rules_without_catalog_columns_are_reported_not_exempted(tmp_path: Path) -> None:
    """The export has no retention anchors and no structure states: the run goes on and says so."""
    request = write_export(tmp_path / "w")
    cfg = load_config(request, today=TODAY)
    assert set(cfg.unapplied) == {"retention", "structure_state"}
    result = run_extract(cfg, tmp_path / "out", TEST_KEY.encode())
    html = (result.run_dir / "review" / "review.html").read_text(encoding="utf-8")
    assert "could not be applied: the catalog (catalog.toml) has no [retention] section" in html
    assert "could not be applied: the catalog (catalog.toml) has no [structure_states] section" in html


def test_a_parquet_register_with_text_dates_and_a_null_column(tmp_path: Path) -> None:
    """Parquet exports too: dates stored as text are read by their format (a bad one named by row), and a
    column nobody filled (typed Null) is simply null."""
    folder = tmp_path / "w"
    request = write_export(folder)
    parquet_bans(folder)
    result = run_extract(load_config(request, today=TODAY), tmp_path / "out", TEST_KEY.encode())
    summary = result.eligibility.register_summary
    assert (summary["active_bans_registrar_client"], summary["active_bans_registrar_representative"]) == (1, 1)
    parquet_bans(folder, ("1.3.2026", "30.2.2026"))
    with pytest.raises(ExtractorError, match=r"bans\.parquet:2: column asetettu: expected a date in %d\.%m\.%Y, "
                                             r"got '30\.2\.2026'"):
        run_extract(load_config(request, today=TODAY), tmp_path / "out2", TEST_KEY.encode())


def test_a_windows_file_declared_utf8_is_named_with_its_line_and_the_fix(tmp_path: Path) -> None:
    """DuckDB's own text (cut short to 'CSV Error on L...' under the catalog's name) quoted the record: the line
    and the catalog key to set are named instead, and nothing of the record."""
    folder = tmp_path / "w"
    request = write_export(folder, "cp1252")  # its first record, line 2, names Åsa Öhman
    text = (folder / "catalog.toml").read_text(encoding="utf-8").replace('encoding = "cp1252"', 'encoding = "utf-8"')
    (folder / "catalog.toml").write_text(text, encoding="utf-8")
    done = cli("run", str(request), "--out", str(tmp_path / "out"), "--today", "2026-11-01")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"{folder / 'clients.csv'}:2: not UTF-8 text; an export from Windows needs encoding = \"cp1252\" " \
           "(catalog.toml: tables.clients.encoding)" in done.stderr
    assert "sa" not in done.stderr and "hman" not in done.stderr  # no value of the record


@pytest.mark.parametrize(("header", "missing"), [(("asiakas", "kielletty"), "peruttu"),
                                                 (("asiakas", "kielletty", "kielletty"), "peruttu")])
def test_a_column_the_file_lacks_is_named_with_its_file(tmp_path: Path, header: tuple[str, ...], missing: str) -> None:
    folder = tmp_path / "w"
    request = write_export(folder, "utf-8")
    (folder / "opt_outs.csv").write_text(";".join(header) + "\r\n", encoding="utf-8")
    done = cli("run", str(request), "--out", str(tmp_path / "out"), "--today", "2026-11-01")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"error: {folder / 'opt_outs.csv'}: no column '{missing}' (nearest: "), done.stderr
    assert "catalog.toml: registers.opt_out.delimiter" in done.stderr and "Binder" not in done.stderr


@pytest.mark.parametrize("declared", [True, False])
def test_a_line_with_a_field_missing_is_named(tmp_path: Path, declared: bool) -> None:
    """DuckDB's sniffer gives up on a file with one short line, with or without the separator declared: the
    line is found and named, with what the header has."""
    folder = tmp_path / "w"
    request = write_export(folder, "utf-8")
    lines = (folder / "bans.csv").read_text(encoding="utf-8").splitlines()
    width = lines[0].count(";") + 1
    short = ";".join(lines[1].split(";")[:-1])
    (folder / "bans.csv").write_text("\r\n".join([*lines, short, lines[1]]) + "\r\n", encoding="utf-8")
    if not declared:
        catalog = folder / "catalog.toml"
        text = catalog.read_text(encoding="utf-8")
        assert 'path = "bans.csv"\ndelimiter = ";"\n' in text
        catalog.write_text(text.replace('path = "bans.csv"\ndelimiter = ";"\n', 'path = "bans.csv"\n'),
                           encoding="utf-8")
    done = cli("run", str(request), "--out", str(tmp_path / "out"), "--today", "2026-11-01")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"{folder / 'bans.csv'}:{len(lines) + 1}: {width - 1} field(s) where the header has {width}" \
        in done.stderr, done.stderr
