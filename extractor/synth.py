"""`extractor synth`: a synthetic Finnish social-welfare registry at any scale, deterministic by seed.

Writes Parquet files that examples/registry/catalog.toml describes: clients, documents, registrars,
structures, disclosure_bans, opt_outs, research_consents, and note_spans (where each note names someone:
the answer key for scoring de-identification). No real person is in it; identity codes have
valid check characters so that detectors are exercised for real. A few outdated Sosmeta structures are
marked removed (poistettu) so that the structure-state rule has something to do.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from . import reference_data, synth_choices, synth_documents, synth_people

Progress = Callable[[str], None]


def generate(out: Path, clients: int, seed: int = 2026, docs_per_client: float = 9.5,
             choices_share: float = 0.025, progress: Progress | None = None) -> dict[str, int]:
    """Generate the registry into `out` atomically (a temporary folder renamed into place)."""
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        say("clients")
        people = synth_people.clients(rng, clients)
        say("documents")
        regs = synth_documents.registrars(rng)
        docs = synth_documents.documents(rng, people, regs, docs_per_client)
        say("choices")
        tables = {
            "clients": people,
            "documents": docs.drop("note_spans"),
            "note_spans": note_spans(docs),
            "registrars": regs,
            "structures": _structures(rng),
            "disclosure_bans": synth_choices.disclosure_bans(rng, docs, clients, choices_share),
            "opt_outs": synth_choices.opt_outs(rng, people, choices_share),
            "research_consents": synth_choices.research_consents(rng, people, 0.3),
        }
        say("writing")
        for name, frame in tables.items():
            frame.write_parquet(staging / f"{name}.parquet", compression="zstd", row_group_size=1_000_000)
        (staging / "SYNTHETIC.txt").write_text(
            f"Synthetic registry made by extractor synth (clients={clients}, seed={seed}). No real persons.\n")
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
            out.rename(trash / out.name)
            staging.rename(out)
            shutil.rmtree(trash)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {name: frame.height for name, frame in tables.items()}


def note_spans(docs: pl.DataFrame) -> pl.DataFrame:
    """The identifiers written into each note: document_oid, start, end (characters), entity, text."""
    return docs.select("document_oid", "note", "note_spans").explode("note_spans").drop_nulls("note_spans") \
        .unnest("note_spans").with_columns(
            pl.col("note").str.slice(pl.col("start"), pl.col("end") - pl.col("start")).alias("text")).drop("note")


def _structures(rng: np.random.Generator) -> pl.DataFrame:
    """The Sosmeta index; some outdated structures are marked removed (poistettu), as after a transition."""
    index = reference_data.document_structures()
    removed = pl.Series(rng.random(index.height) < 0.15) & (index["state"] == "vanhentunut")
    return index.select(
        pl.col("oid").alias("structure_oid"), pl.col("title_fi").alias("title"),
        pl.col("documentType").alias("document_type"),
        pl.when(removed).then(pl.lit("poistettu")).otherwise(pl.col("state")).alias("state"))
