"""freetext: de-identification throughput and per-entity precision / recall on annotated synthetic notes.

100,000 notes (Finnish and Swedish, ~240 characters, nearly all distinct; a third carry identifiers, annotated by
`extractor synth`). Timed: detection and redaction of the whole column (`detect` + `redact`: de-duplication,
the Polars pre-filter, the process pool on both cores, its start-up included). Baseline: a plain per-row
`AnalyzerEngine.analyze` loop with the same recognizers, on the first 3,000 notes of the same run.
A span counts as found when a predicted span of the same entity overlaps it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl


def scores(pred: pl.DataFrame, gold: pl.DataFrame) -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
    from extractor.freetext.evaluation import scores as per_label
    table = per_label(pred, gold)
    return ({e: v["precision"] for e, v in table.items()}, {e: v["recall"] for e, v in table.items()},
            {e: v["support"] for e, v in table.items()})


def _timed(notes: pl.DataFrame, baseline_n: int) -> dict[str, Any]:
    """detect + redact on every note (both cores), and the plain per-row presidio loop on the first
    `baseline_n` notes, each in its own language as detect() reads it; whether both find the same."""
    from extractor.freetext.detect import MIN_SCORE, detect
    from extractor.freetext.engine import analyzer
    from extractor.freetext.language import detect_languages
    from extractor.freetext.redact import redact

    gold = notes.with_row_index("row").explode("note_spans").drop_nulls("note_spans").unnest("note_spans") \
        .select("row", "start", "end", "entity")
    engine, texts = analyzer(), notes["note"]
    t0 = time.perf_counter()
    spans = detect(texts)
    redacted = redact(texts, spans)
    seconds = time.perf_counter() - t0
    assert redacted.len() == texts.len()
    sample, languages = texts[:baseline_n].to_list(), detect_languages(texts[:baseline_n]).to_list()
    t0 = time.perf_counter()
    base = {(i, r.start, r.end, r.entity_type) for i, (t, lang) in enumerate(zip(sample, languages, strict=True))
            for r in engine.analyze(t, language=lang, score_threshold=MIN_SCORE)}
    base_seconds = time.perf_counter() - t0
    agree = base == set(spans.filter(pl.col("row") < baseline_n).select("row", "start", "end", "entity").iter_rows())
    precision, recall, support = scores(spans.select("row", "start", "end", "entity"), gold)
    return {"seconds": seconds, "base_seconds": base_seconds, "agree": agree, "precision": precision,
            "recall": recall, "support": support, "texts": texts}


def freetext_record(n: int = 100_000, baseline_n: int = 3_000, seed: int = 2026) -> dict[str, Any]:
    from extractor.synth import notes as synth_notes
    from extractor.synth import people as synth_people

    rng = np.random.default_rng(seed)
    m = _timed(synth_notes.notes(rng, synth_people.clients(rng, n)[0]), baseline_n)
    seconds, base_seconds, texts = m["seconds"], m["base_seconds"], m["texts"]
    precision, recall, support, agree = m["precision"], m["recall"], m["support"], m["agree"]
    nps, base_nps = n / seconds, baseline_n / base_seconds
    return {"name": "freetext", "seconds": round(seconds, 3),
            "baseline": f"plain per-row AnalyzerEngine.analyze loop, same recognizers, first {baseline_n:,} notes",
            "baseline_seconds": round(base_seconds * n / baseline_n, 3), "ratio": round(base_nps / nps, 3),
            "notes_per_second": round(nps), "baseline_notes_per_second": round(base_nps),
            "precision": precision, "recall": recall,
            "params": {"notes": n, "mean_chars": round(texts.str.len_chars().mean(), 1),
                       "distinct_notes": texts.n_unique(), "annotated_spans": support,
                       "same_finds_as_baseline_on_its_notes": agree, "processes": 2,
                       "target_notes_per_second": 5000}}


def freetext_distinct_record(n: int = 100_000, baseline_n: int = 5_000, seed: int = 2027) -> dict[str, Any]:
    """Throughput on notes that are all distinct, so de-duplication earns nothing (real notes rarely repeat).

    ratio = notes/s of extractor (detect + redact, both cores) / notes/s of the plain per-row presidio loop,
    the loop timed on the first `baseline_n` of the same notes in the same run; both must find the same.
    Steady state, as the loop is timed with its analyzer already built: the process pool runs from the `freetext`
    record before it (started, its workers' parse and word caches filled by those 100,000 other notes). A process
    whose first batch this is also pays the pool's start-up and fills its caches: `freetext` times that case.
    """
    from extractor.synth import notes as synth_notes
    from extractor.synth import people as synth_people

    rng = np.random.default_rng(seed)
    drawn = synth_notes.notes(rng, synth_people.clients(rng, n + n // 20)[0])
    notes = drawn.unique("note", keep="first", maintain_order=True).head(n)
    assert notes.height == n, "the synthesiser gave too few distinct notes"
    m = _timed(notes, baseline_n)
    seconds, base_seconds, texts = m["seconds"], m["base_seconds"], m["texts"]
    precision, recall, support, agree = m["precision"], m["recall"], m["support"], m["agree"]
    nps, base_nps = n / seconds, baseline_n / base_seconds
    first = first_batch_seconds(texts)
    return {"name": "freetext_distinct", "seconds": round(seconds, 3),
            "baseline": f"plain per-row AnalyzerEngine.analyze loop, same recognizers, first {baseline_n:,} of the "
                        "same notes; ratio = notes/s of extractor / notes/s of the loop (higher is better)",
            "baseline_seconds": round(base_seconds * n / baseline_n, 3), "ratio": round(nps / base_nps, 2),
            "notes_per_second": round(nps), "baseline_notes_per_second": round(base_nps),
            "precision": precision, "recall": recall,
            "params": {"notes": n, "distinct_notes": texts.n_unique(),
                       "mean_chars": round(texts.str.len_chars().mean(), 1),
                       "annotated_spans": support, "same_finds_as_baseline_on_its_notes": agree, "processes": 2,
                       "pool": "started and warm from the freetext record just before (steady state)",
                       "first_batch_in_a_new_process_seconds": round(first, 3),
                       "first_batch_ratio": round(n / first / base_nps, 2),
                       "target_ratio": 10.0}}


def first_batch_seconds(texts: pl.Series) -> float:
    """detect + redact of `texts` as a new process's first batch: the pool's start-up (its fork server imports
    presidio and builds the gazetteer) and its cold caches included; the imports and the data read are not."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "notes.parquet"
        pl.DataFrame({"text": texts}).write_parquet(notes)
        done = subprocess.run([sys.executable, "-m", "benchmarks.freetext_first_batch", str(notes)],
                              capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    return float(done.stdout.strip().splitlines()[-1])


CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "freetext_corpus"
QUALITY_TARGETS = {"PERSON": {"recall": 0.99, "precision": 0.95}, "other": {"recall": 0.99}}


def freetext_quality_record() -> dict[str, Any]:
    """Precision, recall and F1 per label on the hand-written corpus (tests/fixtures/freetext_corpus), with the
    second line of defence on (the default) and off: what it buys in recall and costs in precision. Also
    rewrites extractor/data/freetext_quality.json, the figures every notes review report states."""
    import json

    from extractor import __version__
    from extractor.freetext.evaluation import QUALITY_FILE, measure
    from extractor.freetext.names import SecondLine

    corpus = sorted(CORPUS.glob("notes_*.txt"))
    t0 = time.perf_counter()
    on = measure(corpus)
    seconds = time.perf_counter() - t0
    off = measure(corpus, SecondLine(False))
    table = on["scores"]
    met = all((v["recall"] or 0) >= QUALITY_TARGETS["PERSON" if e == "PERSON" else "other"]["recall"]
              for e, v in table.items() if v["support"]) \
        and (table.get("PERSON", {}).get("precision") or 0) >= QUALITY_TARGETS["PERSON"]["precision"]
    shipped = Path(__file__).resolve().parent.parent / "extractor" / Path(*QUALITY_FILE)
    shipped.write_text(json.dumps({"extractor": __version__, "corpus": "tests/fixtures/freetext_corpus (hand-written; "
                                   "see its SOURCES.md)", **on}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    person_on, person_off = table["PERSON"], off["scores"]["PERSON"]
    return {"name": "freetext_quality", "seconds": round(seconds, 3),
            "baseline": "targets: PERSON recall >= 0.99 and precision >= 0.95, every other label recall >= 0.99",
            "baseline_seconds": None, "ratio": None, "scores": table, "targets_met": met,
            "second_line": {"on": {k: person_on[k] for k in ("precision", "recall", "found")},
                            "off": {k: person_off[k] for k in ("precision", "recall", "found")},
                            "recall_gained": round(person_on["recall"] - person_off["recall"], 4),
                            "precision_cost": round(person_off["precision"] - person_on["precision"], 4)},
            "params": {"notes": on["notes"], "languages": on["languages"], "names": on["names"],
                       "corpus": "tests/fixtures/freetext_corpus (hand-written, see its SOURCES.md)"}}


def demo_notes_record(distinct: dict[str, Any], clients: int = 50_000) -> dict[str, Any]:
    """The demo's notes request (examples/registry/notes_request.toml) on the 50,000-client demo registry, run
    in this process as `extractor run` runs it, against its share of `freetext_distinct`'s time (same run) for
    the distinct notes it de-identified: every note the request's variables name is de-identified before the
    query sees it (the query's connection never holds a raw note), so that is the work it must do."""
    import tempfile

    from extractor.config.load import load_config
    from extractor.pipeline import run_extract
    from extractor.synth import registry as synth

    request = Path(__file__).resolve().parent.parent / "examples" / "registry" / "notes_request.toml"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        synth.generate(work / "registry", clients, 2026)
        cfg = load_config(request, work / "registry")
        t0 = time.perf_counter()
        result = run_extract(cfg, work / "out", b"benchmark-key-not-secret-0123456789abcdef")
        seconds = time.perf_counter() - t0
    redaction = result.protected.redacted[0]
    share = redaction.distinct / distinct["notes_per_second"]
    return {"name": "demo_notes", "seconds": round(seconds, 3),
            "baseline": "its share of freetext_distinct's time (same run) for the distinct notes it de-identified",
            "baseline_seconds": round(share, 3), "ratio": round(seconds / share, 2),
            "params": {"clients": clients, "request": "examples/registry/notes_request.toml", "texts": redaction.texts,
                       "distinct_notes": redaction.distinct, "changed": redaction.changed,
                       "deidentify_seconds": round(redaction.seconds, 3), "released_rows": result.query_rows,
                       "stages": {k: round(v, 3) for k, v in result.timings.items()}, "target_ratio": 3.0}}
