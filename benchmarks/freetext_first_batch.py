"""A new process's first batch of notes: `python -m benchmarks.freetext_first_batch notes.parquet` prints the
seconds detect + redact took on its `text` column, the pool's start-up and cold caches included (the imports and
the file read are not). freetext_bench.first_batch_seconds runs it beside the steady-state figure."""

from __future__ import annotations

import sys
import time

import polars as pl


def main() -> None:
    from extractor.freetext.detect import close_pool, detect
    from extractor.freetext.redact import redact

    texts = pl.read_parquet(sys.argv[1])["text"]
    t0 = time.perf_counter()
    redact(texts, detect(texts))
    print(time.perf_counter() - t0)
    close_pool()


if __name__ == "__main__":  # the pool's fork server imports this module again: only the run itself may start it
    main()
