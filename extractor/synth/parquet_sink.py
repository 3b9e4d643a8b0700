"""Parquet files written a chunk at a time, in row groups of a fixed size whatever the chunks are.

Row-group boundaries fall every `row_group` rows of the whole file, not at chunk boundaries, so the bytes
written do not depend on how the rows were batched: a registry made in chunks of 50,000 clients is the same
file as one made in chunks of 500,000.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq


class ParquetSink:
    """Append Polars frames; every full row group is written at once, the remainder at close()."""

    def __init__(self, path: Path, row_group: int) -> None:
        self.path = path
        self.row_group = row_group
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        if self._schema is None:
            self._schema = table.schema
        elif table.schema != self._schema:
            table = table.cast(self._schema)
        if table.num_rows == 0:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        if self._pending_rows >= self.row_group:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        data = pa.concat_tables(self._pending).combine_chunks()
        full = data.num_rows if final else data.num_rows - data.num_rows % self.row_group
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self._schema, compression="zstd")
        for start in range(0, full, self.row_group):
            self._writer.write_table(data.slice(start, min(self.row_group, full - start)),
                                     row_group_size=self.row_group)
        rest = data.slice(full)
        self._pending, self._pending_rows = ([rest], rest.num_rows) if rest.num_rows else ([], 0)

    def close(self) -> None:
        if self._schema is None:
            raise ValueError(f"{self.path}: nothing was written (no schema)")
        if self._pending_rows:
            self._flush(final=True)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self._schema, compression="zstd")
        self._writer.close()
