"""The synthetic registry: deterministic by seed, valid identity codes, consistent references."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from stdnum.fi import hetu as stdnum_hetu

from extractor import hetu, reference_data
from extractor.synth import registry as synth


def frames(folder: Path) -> dict[str, pl.DataFrame]:
    return {p.stem: pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}


def test_same_seed_same_registry(tmp_path: Path) -> None:
    synth.generate(tmp_path / "a", 500, seed=11)
    synth.generate(tmp_path / "b", 500, seed=11)
    synth.generate(tmp_path / "c", 500, seed=12)
    a, b, c = frames(tmp_path / "a"), frames(tmp_path / "b"), frames(tmp_path / "c")
    assert all(a[k].equals(b[k]) for k in a)
    assert not a["clients"].equals(c["clients"])


def test_identity_codes_valid_unique_and_consistent(registry: Path) -> None:
    clients = pl.read_parquet(registry / "clients.parquet")
    codes = clients["hetu"].to_list()
    assert len(set(codes)) == len(codes)
    assert all(stdnum_hetu.is_valid(c) for c in codes)
    assert all(hetu.is_valid(c) for c in codes)
    # Birth date and sex agree with the code: odd individual number for men.
    row = clients.row(0, named=True)
    assert row["birth_date"].strftime("%d%m%y") == row["hetu"][:6]
    odd = clients.select((pl.col("hetu").str.slice(7, 3).cast(pl.Int32) % 2 == 1) == (pl.col("sex") == "M"))
    assert odd.to_series().all()
    assert clients.filter(pl.col("hetu").str.slice(6, 1).is_in(list("YXWVUBCDEF"))).height > 0


def test_names_come_from_the_population_register(registry: Path) -> None:
    clients = pl.read_parquet(registry / "clients.parquet")
    names = reference_data.person_names()
    surnames = set(names.filter(pl.col("kind") == "surname")["name"])
    firsts = set(names.filter(pl.col("kind") == "first")["name"])
    assert set(clients["surname"]) <= surnames
    assert {n for full in clients["first_names"] for n in full.split(" ")} <= firsts


def test_geography_is_the_postal_key(registry: Path) -> None:
    clients = pl.read_parquet(registry / "clients.parquet")
    key = reference_data.postal_codes().select("postal_code", "municipality")
    joined = clients.join(key, on="postal_code", how="left", suffix="_key")
    assert (joined["municipality"] == joined["municipality_key"]).all()


def test_documents_and_choices_reference_real_rows(registry: Path) -> None:
    f = frames(registry)
    docs, clients = f["documents"], f["clients"]
    assert set(docs["client_id"]) <= set(clients["client_id"])
    assert set(docs["registrar_oid"]) <= set(f["registrars"]["registrar_oid"])
    assert set(docs["service_task"]) <= set(reference_data.service_tasks()["code"])
    assert set(docs["structure_oid"]) <= set(f["structures"]["structure_oid"])
    revised = docs.filter(pl.col("version") == 2)
    originals = set(docs.filter(pl.col("version") == 1)["document_oid"])
    assert revised.height > 0 and set(revised["original_oid"]) <= originals
    bans = f["disclosure_bans"]
    assert set(bans["scope"]) == {"registrar", "service_task", "document"}
    assert bans.filter(pl.col("set_by_role").is_not_null()).height > 0
    assert (bans.filter(pl.col("revoked_on").is_not_null())["revoked_on"] >= bans.filter(
        pl.col("revoked_on").is_not_null())["set_on"]).all()
    doc_bans = bans.filter(pl.col("scope") == "document")
    assert set(doc_bans["target"]) <= set(docs["original_oid"])


def test_notes_sometimes_carry_identifiers(registry: Path) -> None:
    notes = pl.read_parquet(registry / "documents.parquet")["note"]
    with_code = notes.filter(notes.str.contains(hetu.PATTERN))
    assert 0 < with_code.len() < notes.len() * 0.2
    assert notes.str.contains(r"0[45]\d \d{3} \d{4}").any()


@pytest.mark.parametrize("n", [1, 7])
def test_tiny_registries_work(tmp_path: Path, n: int) -> None:
    counts = synth.generate(tmp_path / "r", n, seed=1)
    assert counts["clients"] == n


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def test_same_bytes_whatever_the_chunk_size(tmp_path: Path) -> None:
    """Blocks of 1,000 clients, row groups of 7,000 rows: chunks of one block, three blocks and all of them."""
    made = {}
    for chunk in (1000, 3000, 100_000):
        made[chunk] = digests_of(tmp_path / str(chunk), chunk)
    assert made[1000] == made[3000] == made[100_000]
    assert len(made[1000]) == 8


def digests_of(folder: Path, chunk: int) -> dict[str, str]:
    synth.generate(folder, 4500, seed=3, chunk=chunk, block=1000, row_group=7000)
    return digests(folder)


def test_same_bytes_whatever_the_thread_count(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from extractor.synth import registry as synth; "
            "synth.generate(Path(sys.argv[1]), 2500, seed=5, block=1000, row_group=4000)")
    for threads in (1, 2):
        env = {**os.environ, "POLARS_MAX_THREADS": str(threads)}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / f"t{threads}")], env=env, check=True)
    assert digests(tmp_path / "t1") == digests(tmp_path / "t2")


def test_blocks_continue_each_others_numbering(tmp_path: Path) -> None:
    """Identity codes stay unique and documents and bans keep one numbering across blocks."""
    synth.generate(tmp_path / "r", 3000, seed=9, block=500, choices_share=0.2)
    f = frames(tmp_path / "r")
    clients, docs, bans = f["clients"], f["documents"], f["disclosure_bans"]
    assert clients["hetu"].n_unique() == clients.height == 3000
    assert clients["client_id"].to_list() == [f"C{i:08d}" for i in range(1, 3001)]
    serial = docs.filter(pl.col("version") == 1)["original_oid"].str.split(".").list.last().cast(pl.Int64)
    assert sorted(serial.to_list()) == list(range(1, serial.len() + 1))
    assert bans["ban_id"].to_list() == [f"BAN{i}" for i in range(1, bans.height + 1)]
    assert bans.height > 50  # several blocks each contributed bans
