"""One extract, stage by stage: sources → eligibility → protect → query → disclosure → check → release.

Data flows one way; each stage returns a record of what it did for the review report. Any error removes the
staging folder, so a failed run leaves nothing behind."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from extractor import workspace
from extractor.checker.release_check import CheckReport, check_release
from extractor.config.load import RunConfig
from extractor.config.request import Output
from extractor.disclosure import privacy_budget
from extractor.disclosure.aggregate import Controlled
from extractor.disclosure.flow_rounding import add_up
from extractor.disclosure.kinds import DisclosureRecords, KindContext, import_meanwhile, kind_of
from extractor.disclosure.lineage import check_outputs
from extractor.eligibility.apply import Eligibility, apply_eligibility, flow_frame
from extractor.eligibility.overdue import write_overdue
from extractor.engine import is_spark
from extractor.errors import CheckFailed, ExtractorError, QueryFailed
from extractor.faults import kill_point
from extractor.files import sha256_file, sha256_files_meanwhile
from extractor.machine import Limits, connect, resolve
from extractor.protect.build import Protected, build_sandbox
from extractor.protect.pseudonym import ProjectKey, project_key
from extractor.protect.reidentify import write_map
from extractor.protect.sandbox import run_query
from extractor.release import layout, witness
from extractor.release import run_folder as release
from extractor.release.layout import RunFolder
from extractor.release.manifest import Manifest, OutputEntry
from extractor.release.store import Store, opened
from extractor.reports.notices import write_notices
from extractor.reports.review import write_codebook, write_review
from extractor.reports.transparency import write_persons
from extractor.sources import register_sources, unrequested_text

STAGES = ("sources", "eligibility", "protect", "query", "disclosure", "check", "release")
FLOW = Output("exclusion_flow", Path("(eligibility ledger)"), "aggregate", ("table", "step"), ("rows",))

if TYPE_CHECKING:  # their modules load the table machinery (scipy, HiGHS): only tables need it
    from extractor.disclosure.tables.differencing import Difference
    from extractor.disclosure.tables.release_frame import TableRecord


@dataclass
class RunResult:
    run_dir: Path
    run_id: str
    timings: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)  # the process's peak memory at each stage's end
    query_rows: dict[str, int] = field(default_factory=dict)  # rows each output's query returned
    input_hashes: Callable[[], dict[str, str]] | None = None  # the sources' SHA-256, computed beside the stages

    def stage_costs(self) -> list[tuple[str, float, float, int | None]]:
        """(stage, seconds, peak MB so far, rows out of the stage where it has rows) for the report."""
        el = self.eligibility
        rows: dict[str, int | None] = {"sources": sum(el.rows_in.values()), "eligibility": sum(el.rows_out.values())} \
            if el else {}
        if self.protected:
            rows["protect"] = sum(self.protected.rows.values())
        rows["query"] = sum(self.query_rows.values()) if self.query_rows else None
        return [(name, seconds, self.peak_mb.get(name, 0.0), rows.get(name)) for name, seconds in self.timings.items()]
    eligibility: Eligibility | None = None
    protected: Protected | None = None
    disclosure: DisclosureRecords = field(default_factory=DisclosureRecords)
    check: CheckReport | None = None

    @property
    def release_dir(self) -> Path:
        return RunFolder(self.run_dir).release

    @property
    def controlled(self) -> list[Controlled]:
        return self.disclosure.controlled

    @property
    def anonymised(self) -> dict[str, Any]:
        return self.disclosure.anonymised

    @property
    def tables(self) -> list[TableRecord]:
        return self.disclosure.tables

    @property
    def differences(self) -> list[Difference]:
        return self.disclosure.differences


Stage = Callable[[str], AbstractContextManager[None]]


def run_extract(cfg: RunConfig, out_root: Path, master_key: bytes,
                on_stage: Callable[[str], None] | None = None, limits: Limits | None = None,
                engine: str = "duckdb", spark_master: str | None = None, state: str | None = None,
                trial: bool = False) -> RunResult:
    """One extract. `engine` runs the row-level stages (sources to query) on DuckDB or Spark; the rest is
    local either way, so both release the same files. `state`: the store (--state), else the root's own.
    `trial` (extractor try, on dummy data in a throwaway root): no notices, no per-person statements."""
    limits = limits or resolve()
    try:
        with opened(out_root, state) as store:
            return _run(cfg, store, master_key, on_stage, limits, engine, spark_master, trial)
    finally:
        workspace.finish_removals()  # the scratch folder (sandbox, spill files) is gone when a run returns


def _run(cfg: RunConfig, store: Store, master_key: bytes, on_stage: Callable[[str], None] | None, limits: Limits,
         engine: str, spark_master: str | None, trial: bool = False) -> RunResult:
    out_root = store.out_root
    known = store.reading()
    known.refuse_foreign_request(cfg.request.id, cfg.request.project, out_root)  # one folder, one project's runs
    privacy_budget.guard(cfg)(known)
    staging = release.start(out_root, cfg.request.id, set(known.runs))
    result = RunResult(staging.final, staging.run_id)
    result.input_hashes = sha256_files_meanwhile(cfg.catalog.source_paths())
    stage, pkey = _stager(result, on_stage), project_key(master_key, cfg.request.project)
    import_meanwhile(cfg.request.outputs)
    try:
        with workspace.scratch(out_root, limits.temp_dir) as work:  # sandbox and spill files, removed after
            with row_engine(engine, limits, work, spark_master) as con:
                _prepare(con, cfg, staging, result, pkey, limits, work, stage, trial)
                with stage("query"):
                    frames = {o.name: _query(con, work / "sandbox.duckdb", o.query, cfg, limits)
                              for o in cfg.request.outputs}
                    result.query_rows = {name: frame.height for name, frame in frames.items()}
                    check_outputs(cfg.request.outputs, cfg.catalog)
                    if result.protected and result.protected.surrogates:  # the project's pseudonyms, on the way out
                        result.protected.surrogates.pseudonymise_outputs(con, frames, cfg.request.outputs, pkey)
            with stage("disclosure"):
                released = [(r.run_id, layout.run_dir(out_root, r.run_dir))
                            for r in known.released_runs_of(cfg.request.project)]
                ctx = KindContext(cfg, released, staging.exact_tables, limits, work / "spill", result.protected and
                                  result.protected.persons, pkey, staging.run_id, staging.exact_aggregates)
                manifest = _control_outputs(frames, ctx, staging, result, witness.head_of(known))
        with stage("check"):
            _check(staging, result)
        with stage("release"):
            _publish(cfg, store, staging, result, manifest, limits, trial)
    except BaseException:
        if not _recorded(store, staging.run_id):
            release.abandon(staging)
        raise
    return result


def _recorded(store: Store, run_id: str) -> bool:
    """Whether the run's record committed (then its folder is finished, never removed); True when unsure."""
    try:
        return run_id in store.reading().runs
    except Exception:  # noqa: BLE001 - a store that cannot be read now: leave the folder to the next run's tidy
        return True


def _stager(result: RunResult, on_stage: Callable[[str], None] | None) -> Stage:
    """A stage: a fault point for the crash tests, a progress report, and its time in result.timings."""

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        kill_point(name)
        if on_stage:
            on_stage(name)
        t0 = time.perf_counter()
        yield
        result.timings[name] = time.perf_counter() - t0
        result.peak_mb[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return stage


@contextmanager
def row_engine(engine: str, limits: Limits, work: Path, spark_master: str | None = None) -> Iterator[Any]:
    """The row-level stages' connection: DuckDB in memory (source files not locked) or Spark; errors: one line."""
    if engine == "spark":
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        from extractor.engine.spark_connection import SparkConnection
        from extractor.engine.spark_session import spark_session

        con: Any = SparkConnection(spark_session(limits, spark_master), work)
        failure: tuple[type[BaseException], ...] = (PySparkException, Py4JError)
        what = "Spark failed"
    else:
        con, failure, what = connect(limits, work / "spill"), (duckdb.Error,), "reading the sources failed"
    try:
        yield con
    except failure as exc:
        raise ExtractorError(f"{what}: {str(exc).strip().splitlines()[0]}") from None
    finally:
        con.close()


def _query(con: Any, sandbox_db: Path, query: Path, cfg: RunConfig, limits: Limits) -> pl.DataFrame:
    if is_spark(con):
        from extractor.engine import spark_query

        return spark_query.run_query(con, con.sandbox, query, cfg.request.as_of, cfg.catalog.person_tables())
    try:
        return run_query(sandbox_db, query, limits, cfg.catalog.person_tables())
    except QueryFailed as exc:  # pointed at the line and column, with what to change
        from extractor.researcher.sql_errors import taught

        raise taught(exc, cfg.catalog, cfg.request.variables) from None


def _prepare(con: Any, cfg: RunConfig, staging: release.Staging, result: RunResult, key: ProjectKey,
             limits: Limits, work: Path, stage: Stage, trial: bool = False) -> None:
    """Sources, eligibility and protection on one connection: their product is the sandbox."""
    with stage("sources"):
        if is_spark(con):
            from extractor.engine import spark_sources

            registered = spark_sources.register_sources(con, cfg.catalog, work / "sources")
        else:
            registered = register_sources(con, cfg.catalog, work / "sources", unrequested_text(cfg.request.variables))
    with stage("eligibility"):
        result.eligibility = apply_eligibility(con, cfg, registered.rows)
        result.eligibility.overdue = write_overdue(con, result.eligibility, staging.controller)
    with stage("protect"):
        result.protected = build_sandbox(con, cfg, key, work / "sandbox.duckdb", limits.threads)
        if result.protected.reidentification is not None:
            write_map(staging.controller, key, result.protected.reidentification)
        if not trial:
            write_persons(con, result.eligibility.flagged, result.protected.person_map, staging.controller, key)


def _control_outputs(frames: dict[str, pl.DataFrame], ctx: KindContext, staging: release.Staging,
                     result: RunResult, audit_head: dict[str, Any]) -> Manifest:
    """Each output through its kind's disclosure control into the staging folder; then the manifest."""
    frames[FLOW.name] = flow_frame(result.eligibility)
    outputs = []
    for out in (*ctx.cfg.request.outputs, FLOW):
        if out is FLOW and frames[FLOW.name].is_empty():
            continue
        safe, entry = kind_of(out).control(frames[out.name], out, ctx, result.disclosure)
        safe = add_up(frames[out.name], safe, ctx.cfg.purpose.disclosure) if out is FLOW else safe  # adds up
        file = f"{out.name}.csv"
        release.write_table(safe, staging.release / file)
        outputs.append(OutputEntry(out.name, file, out.kind, safe.height, details={
            **entry, **({"rounding_base": ctx.cfg.purpose.disclosure.rounding_base} if entry.get("counts") else {})}))
    return release.write_manifest(staging, ctx.cfg, outputs, audit_head)


def _check(staging: release.Staging, result: RunResult) -> None:
    result.check = check_release(staging.release)
    if not result.check.passed:
        first, more = result.check.findings[0], len(result.check.findings) - 1
        raise CheckFailed(f"output check failed, nothing released: {first}" + (f" (and {more} more)" if more else ""))


def _publish(cfg: RunConfig, store: Store, staging: release.Staging, result: RunResult, manifest: Manifest,
             limits: Limits, trial: bool = False) -> None:
    """Notices and the review report, then the audit record and the folder renamed into place, as one step."""
    readability = {} if trial else write_notices(cfg, staging.notices)
    write_codebook(cfg, staging.review / "codebook.html")  # what the query could read, linked from the report
    write_review(cfg, staging.review / "review.html", run_id=staging.run_id,
                 created_at=manifest.created_at, elig=result.eligibility, protected=result.protected,
                 controlled=result.controlled, check=result.check, manifest=manifest,
                 tables=result.tables, differences=result.differences,
                 budget=privacy_budget.status(store.reading(), cfg),
                 anonymised=result.anonymised, readability=readability, limits=limits,
                 stage_costs=result.stage_costs())
    kill_point("publish")
    _record(cfg, store, result, manifest, staging)


def _record(cfg: RunConfig, store: Store, result: RunResult, manifest: Manifest, staging: release.Staging) -> None:
    """The run's audit record (who, what, hashes of request, queries, inputs and outputs, counts), committed
    with the run's anchor; then the folder is renamed into place (workflow.record_run)."""
    from extractor.release import workflow

    details = {
        "request_sha256": manifest.request.sha256, "policy_sha256": manifest.policy.sha256,
        "catalog_sha256": manifest.catalog.sha256, "queries": {k: v.sha256 for k, v in manifest.queries.items()},
        "inputs": result.input_hashes() if result.input_hashes else {},
        "outputs": {o.file: o.sha256 for o in manifest.outputs},
        "rows_in": result.eligibility.rows_in if result.eligibility else {},
        "rows_out": result.eligibility.rows_out if result.eligibility else {},
        "released_rows": {o.file: o.rows for o in manifest.outputs}, "manifest_sha256": sha256_file(staging.manifest),
        "title": cfg.request.title, "purpose": cfg.request.purpose, "legal_basis": cfg.request.legal_basis,
        "organisation": cfg.request.requester.organisation, "permit": cfg.request.permit_id,
        "texts": {k: v for k, v in cfg.request.texts.items()
                  if k in ("title", "requester.organisation", "legal_basis")},  # for the yearly notices
        "kinds": sorted({o.kind for o in cfg.request.outputs}), "check": "passed",
        "privacy_spend": privacy_budget.asked(cfg), "differencing_findings": [vars(d) for d in result.differences],
        "folder_files": release.folder_files(staging),  # review, notices, controller: swapped later, they show
        "request_id": cfg.request.id, "project": cfg.request.project, "requester": cfg.request.requester.name,
        "contact": cfg.request.requester.contact, "submitted_by": cfg.request.requester.account}
    workflow.record_run(store, staging, details, privacy_budget.guard(cfg, concurrent=True))
