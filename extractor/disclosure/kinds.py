"""The four output kinds, one class each, chosen by one `match`: what a kind does to a query's frame before it may
leave (its disclosure control), what it records for the review report, and what it lists in the manifest.

aggregate              counts suppressed 1–7 and rounded (aggregate.py)
table                  margins, primary and secondary suppression with its LP audit, or DP (tables/)
anonymised_records     optimal k-anonymous, l-diverse generalisation (records/)
pseudonymised_records  record-level rows with HMAC pseudonyms, for a secure environment (records/)
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from extractor.config.load import RunConfig
from extractor.config.request import Output
from extractor.disclosure.aggregate import REDACTED, Controlled, control, ordered, whole_counts
from extractor.disclosure.records.outputs import anonymise, pseudonymised_records
from extractor.disclosure.tables.differencing import (
    Difference,
    Published,
    aggregate_frame,
    compare,
    earlier_releases,
    magnitude_pairs,
    published_counts,
    published_table,
    within_rows,
)
from extractor.errors import ExtractorError
from extractor.machine import Limits
from extractor.protect.pseudonym import ProjectKey

if TYPE_CHECKING:  # its module loads the table machinery (scipy, HiGHS): only tables need it
    from extractor.disclosure.tables.release_frame import TableRecord


def import_meanwhile(outputs: list[Output]) -> None:
    """For a request with a table, import the solver its audits and rounding use (scipy.optimize, about half a
    second) in a thread while the row stages run: they are DuckDB's work and let go of the GIL, so the two
    overlap. Only scipy is imported there, and scipy imports nothing of ours, so no import can wait on another."""
    if any(o.kind == "table" for o in outputs):
        threading.Thread(target=importlib.import_module, args=("scipy.optimize",), name="import-solver",
                         daemon=True).start()


@dataclass
class DisclosureRecords:
    """What disclosure control did, per kind, for the review report and the audit record."""

    controlled: list[Controlled] = field(default_factory=list)
    anonymised: dict[str, Any] = field(default_factory=dict)  # output -> anonymity.Result
    tables: list[TableRecord] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    published: list[Published] = field(default_factory=list)  # this run's counts so far, for differencing
    _earlier: list[Published] | None = None

    def earlier(self, released: list[tuple[str, Path]]) -> list[Published]:
        """The project's released counts, read once per run (every output is compared with all of them)."""
        if self._earlier is None:
            self._earlier = earlier_releases(released)
        return self._earlier

    def compare_and_keep(self, output: str, counts: list[Published], released: list[tuple[str, Path]],
                         threshold: int) -> None:
        """Each of an output's counts against the project's earlier releases and this run's outputs so far (nearly
        all cells: see differencing._hits); then the counts join this run's published ones."""
        for current in counts:
            self.differences += compare(output, current, self.earlier(released), threshold)
            self.differences += compare(output, current, self.published, threshold, nearly_all=True)
        self.published += counts


@dataclass(frozen=True)
class KindContext:
    cfg: RunConfig
    released: list[tuple[str, Path]]  # (run id, run folder) of the project's earlier releases, for differencing
    exact_tables: Path  # the run's folder of exact table values (controller/tables), never released
    limits: Limits
    spill: Path
    persons: int | None = None  # persons whose rows reached the query (None: no person key in the sandbox)
    key: ProjectKey | None = None  # the project key: record keys of cell-key tables
    run_id: str = ""  # names this run's own outputs in differencing findings
    exact_aggregates: Path | None = None  # the run's folder of exact aggregate counts (controller/aggregates)


class Aggregate:
    def control(self, frame: pl.DataFrame, out: Output, ctx: KindContext,
                records: DisclosureRecords) -> tuple[pl.DataFrame, dict[str, Any]]:
        safe, record = control(frame, out, ctx.cfg.purpose.disclosure, ctx.persons)
        if out not in ctx.cfg.request.outputs:  # the exclusion flow: the rules' figures, not a group the requester
            records.controlled.append(dataclasses.replace(record, tiny_groups=(), small_columns=()))  # chose
            return safe, {"dimensions": list(out.dimensions), "counts": list(out.counts)}
        records.controlled.append(record)
        exact = ordered(whole_counts(frame, out.counts), out)  # the rows of `safe`, in its order
        hidden = safe.select(pl.col(c) == REDACTED for c in out.counts)
        counts = published_counts(f"{ctx.run_id}/{out.name}", list(out.dimensions), list(out.counts), exact, hidden)
        threshold = ctx.cfg.purpose.disclosure.threshold
        records.differences += within_rows(out.name, counts, threshold)
        records.compare_and_keep(out.name, counts, ctx.released, threshold)
        if ctx.exact_aggregates is not None:  # for later releases' differencing
            ctx.exact_aggregates.mkdir(mode=0o700, parents=True, exist_ok=True)
            aggregate_frame(list(out.dimensions), list(out.counts), exact, hidden) \
                .write_parquet(ctx.exact_aggregates / f"{out.name}.parquet")
        return safe, {"dimensions": list(out.dimensions), "counts": list(out.counts)}


class Table:
    def control(self, frame: pl.DataFrame, out: Output, ctx: KindContext,
                records: DisclosureRecords) -> tuple[pl.DataFrame, dict[str, Any]]:
        from extractor.disclosure.tables.control import control_table  # HiGHS and scipy: loaded for tables only

        for m in out.table.magnitudes if out.table.privacy == "sdc" and frame.height else ():
            if m in frame.columns and frame[m].filter(frame[m] != 0).n_unique() <= 1:  # a count in disguise
                raise ExtractorError(f"{out.where}.magnitudes: '{m}' is one value for every record (or 0): its sums "
                                     "would publish the exact counts the count column rounds; count such records "
                                     "with a dimension instead")
        safe, exact, table_record = control_table(frame, out, ctx.cfg.purpose.disclosure, ctx.limits, ctx.spill,
                                                  ctx.key)
        records.tables.append(table_record)
        folder = ctx.exact_tables  # for the output checker and later differencing checks
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        exact.write_parquet(folder / f"{out.name}.parquet")
        current = published_table(f"{ctx.run_id}/{out.name}", exact)  # none for a DP table: its budget answers
        if current is not None:
            records.compare_and_keep(out.name, [current], ctx.released, ctx.cfg.purpose.disclosure.threshold)
            records.differences += magnitude_pairs(out.name, exact, list(out.table.magnitudes))
        spec = out.table
        return safe, {"groups": [list(g) for g in spec.groups], "count": spec.count,
                      "magnitudes": list(spec.magnitudes), "statistics": list(spec.statistics),
                      "event_counts": list(table_record.event_counts),
                      "nonadditive_lines": {col: r["nonadditive_lines"] for col, r in table_record.rounding.items()},
                      "privacy": spec.privacy, "dimensions": list(out.dimensions), "counts": [spec.count]}


class AnonymisedRecords:
    def control(self, frame: pl.DataFrame, out: Output, ctx: KindContext,
                records: DisclosureRecords) -> tuple[pl.DataFrame, dict[str, Any]]:
        safe, anon, crit = anonymise(frame, out, ctx.cfg.purpose.disclosure)
        records.anonymised[out.name] = anon
        return safe, {"quasi_identifiers": list(anon.levels), "sensitive": list(crit.sensitive),
                      "k": crit.k, "l": crit.l, "levels": anon.levels, "suppressed": anon.suppressed}


class PseudonymisedRecords:
    def control(self, frame: pl.DataFrame, out: Output, ctx: KindContext,
                records: DisclosureRecords) -> tuple[pl.DataFrame, dict[str, Any]]:
        return pseudonymised_records(frame, out), {"dimensions": list(out.dimensions), "counts": [],
                                                    "pseudonyms": list(out.pseudonyms)}


def kind_of(out: Output) -> Aggregate | Table | AnonymisedRecords | PseudonymisedRecords:
    match out.kind:
        case "aggregate":
            return Aggregate()
        case "table":
            return Table()
        case "anonymised_records":
            return AnonymisedRecords()
        case "pseudonymised_records":
            return PseudonymisedRecords()
    raise ValueError(f"unknown output kind {out.kind!r}")  # request.py admits only the four
