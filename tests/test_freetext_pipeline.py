"""The fast detector against presidio row by row, redaction, the residual scan of every file type, and
case notes end to end through the pipeline."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, TEST_KEY
from extractor.checker.release_check import check_release
from extractor.checker.residual_scan import scan_document, scan_frame
from extractor.config.load import load_config
from extractor.files import sha256_file
from extractor.freetext.detect import MIN_SCORE, detect
from extractor.freetext.engine import analyzer
from extractor.freetext.redact import merge_overlaps, redact
from extractor.pipeline import run_extract
from extractor.protect.pseudonym import project_key
from extractor.synth import notes as synth_notes
from extractor.synth import people as synth_people

PIECES = ["Asiakas voi hyvin.", "Soitettu Virtaselle.", "Puh. 040 123 4567.", "Hetu 131052-308T.",
          "Päätös 12.3.2025.", "matti.virtanen@esimerkki.fi", "Kalevankatu 12 B 7, 00100 Helsinki.",
          "Toivo paremmasta.", "Asiakkaan poika Onni kävi.", "Tili FI21 1234 5600 0007 85.", "Y-tunnus 0112038-9.",
          "Vuokra 650 euroa.", "Anna Korhonen", "", "12345", "Into"]


def reference(texts: list[str]) -> set[tuple]:
    """The obviously correct detector: presidio's analyze on every row, every recognizer."""
    return {(i, r.start, r.end, r.entity_type) for i, t in enumerate(texts)
            for r in analyzer().analyze(t, language="fi", score_threshold=MIN_SCORE)}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=4).map(" ".join), min_size=1, max_size=12))
def test_prefiltered_detector_finds_what_presidio_finds_row_by_row(texts: list[str]) -> None:
    spans = detect(pl.Series(texts), processes=1)
    assert set(spans.select("row", "start", "end", "entity").iter_rows()) == reference(texts)


def test_synthetic_notes_are_found_as_annotated() -> None:
    rng = np.random.default_rng(3)
    notes = synth_notes.notes(rng, synth_people.clients(rng, 1500)[0])
    gold = {(r, s["start"], s["end"], s["entity"]) for r, spans in enumerate(notes["note_spans"].to_list())
            for s in spans}
    found = set(detect(notes["note"]).select("row", "start", "end", "entity").iter_rows())
    assert len(gold) > 400
    assert len(gold & found) / len(gold) >= 0.99
    assert len(gold & found) / len(found) >= 0.95


def test_overlaps_merge_and_tags_replace() -> None:
    spans = pl.DataFrame({"row": [0, 0, 0], "start": [0, 3, 20], "end": [10, 8, 25],
                          "entity": ["PHONE_NUMBER", "FI_POSTAL_CODE", "PERSON"], "score": [0.9, 0.4, 0.85]},
                         schema_overrides={"row": pl.UInt32, "start": pl.Int32, "end": pl.Int32})
    assert merge_overlaps(spans).select("start", "end", "entity").rows() == [(0, 10, "PHONE_NUMBER"),
                                                                             (20, 25, "PERSON")]
    text = pl.Series(["0401234567 soitti Matti."])
    assert redact(text, detect(text)).to_list() == ["<PUHELINNUMERO> soitti <NIMI>."]


def _merged_by_hand(rows: list[tuple]) -> list[tuple]:
    """The obviously correct merge: each row's spans by start (the longer first); a span that starts before the
    furthest end so far joins the cluster, else opens one; a cluster is its extent, its best score and the
    entities that score it."""
    out = []
    for row in sorted({r[0] for r in rows}):
        spans = sorted((r for r in rows if r[0] == row), key=lambda r: (r[1], -r[2]))
        clusters: list[list[tuple]] = []
        for span in spans:
            if clusters and span[1] < max(s[2] for s in clusters[-1]):
                clusters[-1].append(span)
            else:
                clusters.append([span])
        for c in clusters:
            best = max(s[4] for s in c)
            out.append((row, min(s[1] for s in c), max(s[2] for s in c), best, {s[3] for s in c if s[4] == best}))
    return out


SPAN = st.tuples(st.integers(0, 4), st.integers(0, 40), st.integers(1, 9), st.sampled_from(["PERSON", "PHONE_NUMBER"]),
                 st.sampled_from([0.5, 0.6, 0.85]))


@settings(max_examples=300, deadline=None)
@given(st.lists(SPAN, max_size=14))
def test_overlapping_spans_merge_as_by_hand(drawn: list[tuple]) -> None:
    rows = [(r, s, s + length, e, sc) for r, s, length, e, sc in drawn]
    spans = pl.DataFrame(rows, schema={"row": pl.UInt32, "start": pl.Int32, "end": pl.Int32, "entity": pl.String,
                                       "score": pl.Float64}, orient="row")
    merged = merge_overlaps(spans).rows()
    expected = _merged_by_hand(rows)
    assert [m[:3] + (m[4],) for m in merged] == [e[:4] for e in expected]
    assert all(m[3] in e[4] for m, e in zip(merged, expected, strict=True))


def test_subject_is_named_by_their_pseudonym_and_others_by_tags() -> None:
    texts = pl.Series(["Soitettu Virtaselle, äiti Anna Korhonen paikalla. Hetu 131052-308T.", "Matti kävi."])
    subjects = pl.DataFrame({"row": [0, 1], "identifiers": ["131052-308T\x1fMatti Juhani\x1fVirtanen"] * 2,
                             "pseudonym": ["a" * 32, "b" * 32]}, schema_overrides={"row": pl.UInt32})
    out = redact(texts, detect(texts), subjects).to_list()
    assert out == [f"Soitettu <{'a' * 32}>, äiti <NIMI> paikalla. Hetu <{'a' * 32}>.", f"<{'b' * 32}> kävi."]


CLEAN = pl.DataFrame({"region": ["Lappi", "Pirkanmaa", "Etelä-Karjala"],
                      "service": ["Lastensuojelu", "Kotipalvelu", "Perhetyö"], "n": ["10", "15", "0"]})


@pytest.mark.parametrize(("cell", "what"), [
    ("131052-308T", "a personal identity code"), ("Soita 040 123 4567", "a phone number"),
    ("matti@example.fi", "an e-mail address"), ("FI21 1234 5600 0007 85", "a bank account number"),
    ("Kalevankatu 12 B 7", "a street address"), ("Matti Virtanen", "a person's name"),
    ("0" * 31 + "a", "a pseudonym-like hex string"),
])
def test_residual_scan_finds_identifiers_in_cells(cell: str, what: str) -> None:
    assert scan_frame("t.csv", CLEAN) == []
    dirty = CLEAN.with_columns(pl.Series("service", ["Lastensuojelu", cell, "Perhetyö"]))
    assert scan_frame("t.csv", dirty) == [f"t.csv: column 'service' line 2 holds {what}"]


def test_residual_scan_reads_html_and_text(tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    html.write_text("<html><body><h1>Tulokset</h1><p>Taulukko 1.</p>"
                    "<a title='Yhteys' href='mailto:tuuli@example.edu'>x</a></body></html>", encoding="utf-8")
    assert scan_document("r.html", html) == ["r.html: column 'text' line 4 holds an e-mail address"]
    text = tmp_path / "r.txt"
    text.write_text("Tulokset\nPotilas 131052-308T mukana\n", encoding="utf-8")
    assert scan_document("r.txt", text) == ["r.txt: column 'text' line 2 holds a personal identity code"]
    text.write_text("Tulokset\nKaikki luvut pyöristetty viiteen.\n", encoding="utf-8")
    assert scan_document("r.txt", text) == []


def test_a_note_may_name_only_its_own_subject_by_pseudonym() -> None:
    own = pl.DataFrame({"client_id": ["a" * 32, "b" * 32], "note": [f"<{'a' * 32}> kävi.", "Ei huolia."]})
    assert scan_frame("n.csv", own, ["client_id"]) == []
    foreign = own.with_columns(pl.Series("note", [f"<{'b' * 32}> kävi.", "Ei huolia."]))
    assert scan_frame("n.csv", foreign, ["client_id"])[0] == \
        "n.csv: column 'note' line 1 names someone by another person's pseudonym"


@pytest.fixture(scope="module")
def notes_run(registry: Path, tmp_path_factory: pytest.TempPathFactory):
    cfg = load_config(REPO / "examples" / "registry" / "notes_request.toml", registry)
    return run_extract(cfg, tmp_path_factory.mktemp("notes") / "out", TEST_KEY.encode()), cfg


def test_case_notes_are_released_redacted(notes_run, registry: Path) -> None:
    result, cfg = notes_run
    released = pl.read_csv(result.release_dir / "case_notes.csv", infer_schema=False)
    assert released.height > 100 and released.columns == ["client_id", "service_task", "created_on", "note"]
    people = pl.read_parquet(registry / "clients.parquet")
    notes = " ".join(released["note"].to_list())
    assert not any(h in notes for h in people["hetu"].to_list())
    assert "@" not in notes and "<PUHELINNUMERO>" in notes
    key = project_key(TEST_KEY.encode(), cfg.request.project)
    tagged = released.filter(pl.col("note").str.contains(r"<[0-9a-f]{32}>"))
    assert tagged.height > 0
    assert (tagged["note"].str.extract(r"<([0-9a-f]{32})>") == tagged["client_id"]).all()
    assert key.pseudonym("person", people["client_id"][0]) != ""
    redaction = result.protected.redacted[0]
    assert (redaction.table, redaction.column, redaction.mode) == ("documents", "note", "pseudonym")
    assert redaction.entities["PHONE_NUMBER"] > 0 and redaction.changed > 0
    assert check_release(result.release_dir).passed


def test_checker_fails_a_release_with_an_identity_code_left_in_a_note(notes_run, tmp_path: Path) -> None:
    import shutil

    result, _ = notes_run
    run = tmp_path / "run"
    shutil.copytree(result.run_dir, run)
    path = run / "release" / "case_notes.csv"
    df = pl.read_csv(path, infer_schema=False)
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("Hetu 131052-308T."))
                         .otherwise(pl.col("note")).alias("note"))
    df.write_csv(path)
    manifest = json.loads((run / "release" / "manifest.json").read_text())
    for o in manifest["outputs"]:
        if o["file"] == "case_notes.csv":
            o["sha256"] = sha256_file(path)
    (run / "release" / "manifest.json").write_text(json.dumps(manifest))
    report = check_release(run / "release")
    assert "case_notes.csv: column 'note' line 4 holds a personal identity code" in report.findings


def test_free_text_stays_out_unless_the_request_names_it(registry: Path, tmp_path: Path) -> None:
    cfg = load_config(REPO / "examples" / "registry" / "research_request.toml", registry)
    result = run_extract(cfg, tmp_path / "out", TEST_KEY.encode())
    assert "note" in result.protected.withheld["documents"] and not result.protected.redacted


def test_review_report_shows_what_was_redacted(notes_run) -> None:
    result, _ = notes_run
    html = (result.run_dir / "review" / "review.html").read_text(encoding="utf-8")
    assert 'id="free-text"' in html and "phone numbers:" in html and "PHONE_NUMBER" not in html  # labels
    assert "fi: " in html and "sv: " in html  # notes per detected language
    assert "moved by each person&#39;s own shift" in html or "moved by each person's own shift" in html


def test_dates_in_notes_move_with_the_persons_own_offset(notes_run, registry: Path) -> None:
    """Every full date in a released note is a date of that person's raw notes moved by their key-derived shift
    (the same as their created_on column): intervals within a person's record stay true."""
    import datetime as dt
    import re

    result, cfg = notes_run
    key = project_key(TEST_KEY.encode(), cfg.request.project)
    released = pl.read_csv(result.release_dir / "case_notes.csv", infer_schema=False)
    raw = pl.read_parquet(registry / "documents.parquet", columns=["client_id", "note"])
    full = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
    raw_dates: dict[str, set[dt.date]] = {}
    for person, note in raw.iter_rows():
        for d, m, y in full.findall(note or ""):
            raw_dates.setdefault(key.pseudonym("person", person), set()).add(dt.date(int(y), int(m), int(d)))
    shift = {key.pseudonym("person", p): key.date_shift(p, cfg.request.date_shift_days)
             for p in raw["client_id"].unique().to_list()}
    checked = 0
    for pseudonym, note in released.select("client_id", "note").iter_rows():
        for d, m, y in full.findall(note or ""):
            moved = dt.date(int(y), int(m), int(d)) - dt.timedelta(days=shift[pseudonym])
            assert moved in raw_dates[pseudonym], (pseudonym, note)
            checked += 1
    assert checked > 50


def test_process_pool_gives_the_same_finds_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.freetext import detect as detect_module

    rng = np.random.default_rng(5)
    notes = synth_notes.notes(rng, synth_people.clients(rng, 600)[0])["note"]
    one = detect(notes, processes=1)
    monkeypatch.setattr(detect_module, "POOL_FROM", 0)
    monkeypatch.setattr(detect_module, "_CHUNK", 50)
    assert detect(notes, processes=2).equals(one)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 20_000), st.integers(1, 3_000))
def test_chunks_cover_every_note_once_in_order_the_last_ones_short(height: int, size: int) -> None:
    from extractor.freetext.detect import chunks

    parts = list(chunks(height, size))
    assert [o for o, _ in parts] == list(itertools.accumulate((n for _, n in parts[:-1]), initial=0))[:len(parts)]
    assert sum(n for _, n in parts) == height and all(n >= 1 for _, n in parts)
    assert all(n <= max(1, size // 4) for o, n in parts if o >= height - 2 * size)  # the tail: short chunks
