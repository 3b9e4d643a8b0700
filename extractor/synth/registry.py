"""`extractor synth`: a synthetic Finnish social-welfare registry at any scale, deterministic by seed.

Writes Parquet files that examples/registry/catalog.toml describes: clients, documents, registrars,
structures, disclosure_bans, opt_outs, research_consents, and note_spans (where each note names someone:
the answer key for scoring de-identification). No real person is in it; identity codes have
valid check characters so that detectors are exercised for real. A few outdated Sosmeta structures are
marked removed (poistettu) so that the structure-state rule has something to do.

It streams: clients are made in blocks of BLOCK, each from its own random stream (seed, block number),
and written a chunk of blocks at a time in fixed row groups, so memory stays bounded at any size and the
bytes depend on the seed alone, not on the chunk size or the number of threads. The few things that run
across blocks (identity-code serial numbers, document and ban numbering) are carried from block to block.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from extractor import reference_data
from extractor.synth import choices as synth_choices
from extractor.synth import documents as synth_documents
from extractor.synth import people as synth_people
from extractor.synth.parquet_sink import ParquetSink

Progress = Callable[[str], None]
BLOCK = 50_000  # clients per random stream: part of what the seed means, not a tuning knob
ROW_GROUP = 250_000
TABLES = ("clients", "documents", "note_spans", "registrars", "structures", "disclosure_bans", "opt_outs",
          "research_consents")


@dataclass
class Carry:
    """What one block hands to the next: serial numbers already used."""

    taken: pl.DataFrame  # birth_date, male, n: identity-code serials used per birth date and sex
    documents: int = 0
    bans: int = 0


def generate(out: Path, clients: int, seed: int = 2026, docs_per_client: float = 9.5,
             choices_share: float = 0.025, progress: Progress | None = None, chunk: int = BLOCK,
             block: int = BLOCK, row_group: int = ROW_GROUP) -> dict[str, int]:
    """Generate the registry into `out` atomically (a temporary folder renamed into place).

    `chunk` (clients held in memory before writing) changes memory use only, never the output."""
    say = progress or (lambda _msg: None)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        shared = np.random.default_rng([seed, 0])
        regs = synth_documents.registrars(shared)
        sinks = {name: ParquetSink(staging / f"{name}.parquet", row_group) for name in TABLES}
        sinks["registrars"].write(regs)
        sinks["structures"].write(_structures(shared))
        carry = Carry(synth_people.no_serials_taken())
        per_chunk = max(1, chunk // block)
        starts = list(range(0, clients, block))
        for first in range(0, len(starts), per_chunk):
            say(f"clients {starts[first]:,}–{min(clients, starts[first] + per_chunk * block):,}")
            parts = [_block(seed, i, min(block, clients - starts[i]), block, regs, carry, docs_per_client,
                            choices_share) for i in range(first, min(first + per_chunk, len(starts)))]
            for part in parts:
                for name, frame in part.items():
                    sinks[name].write(frame)
        say("writing")
        for sink in sinks.values():
            sink.close()
        (staging / "SYNTHETIC.txt").write_text(
            f"Synthetic registry made by extractor synth (clients={clients}, seed={seed}). No real persons.\n")
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {name: sink.rows for name, sink in sinks.items()}


def _block(seed: int, index: int, n: int, block: int, regs: pl.DataFrame, carry: Carry, docs_per_client: float,
           choices_share: float) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng([seed, 1, index])
    people, carry.taken = synth_people.clients(rng, n, index * block, carry.taken)
    docs = synth_documents.documents(rng, people, regs, docs_per_client, carry.documents)
    carry.documents += int((docs["version"] == 1).sum())
    bans = synth_choices.disclosure_bans(rng, docs, n, choices_share, carry.bans)
    carry.bans += bans.height
    return {
        "clients": people,
        "documents": docs.drop("note_spans"),
        "note_spans": note_spans(docs),
        "disclosure_bans": bans,
        "opt_outs": synth_choices.opt_outs(rng, people, choices_share),
        "research_consents": synth_choices.research_consents(rng, people, 0.3),
    }


def _swap_into_place(staging: Path, out: Path) -> None:
    if out.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
        out.rename(trash / out.name)
        staging.rename(out)
        shutil.rmtree(trash)
    else:
        staging.rename(out)


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
