"""One extract, stage by stage: sources → eligibility → protect → query → disclosure → check → release.

Data flows one way; each stage returns a record of what it did for the review report. Any error removes
the staging folder, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from extractor import workspace
from extractor.checker.release_check import CheckReport, check_release
from extractor.config.load import RunConfig
from extractor.config.request import Output
from extractor.disclosure import privacy_budget
from extractor.disclosure.aggregate import Controlled, control
from extractor.disclosure.records.outputs import anonymise, pseudonymised_records
from extractor.disclosure.tables.control import control_table
from extractor.disclosure.tables.differencing import Difference, compare, earlier_releases
from extractor.disclosure.tables.release_frame import TableRecord
from extractor.eligibility.apply import Eligibility, apply_eligibility, flow_frame, write_overdue
from extractor.errors import CheckFailed, ExtractorError
from extractor.faults import kill_point
from extractor.files import sha256_file
from extractor.machine import Limits, duckdb_config, resolve
from extractor.protect.build import Protected, build_sandbox
from extractor.protect.pseudonym import project_key
from extractor.protect.reidentify import write_map
from extractor.protect.sandbox import run_query
from extractor.release import run_folder as release
from extractor.reports.notices import write_notices
from extractor.reports.review import write_review
from extractor.reports.transparency import write_persons
from extractor.sources import register_sources

STAGES = ("sources", "eligibility", "protect", "query", "disclosure", "check", "release")
FLOW = Output("exclusion_flow", Path("(eligibility ledger)"), "aggregate", ("table", "step"), ("rows",))


@dataclass
class RunResult:
    run_dir: Path
    run_id: str
    timings: dict[str, float] = field(default_factory=dict)
    eligibility: Eligibility | None = None
    protected: Protected | None = None
    controlled: list[Controlled] = field(default_factory=list)
    anonymised: dict[str, Any] = field(default_factory=dict)  # output -> anonymity.Result
    check: CheckReport | None = None
    tables: list[TableRecord] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def release_dir(self) -> Path:
        return self.run_dir / "release"


def run_extract(cfg: RunConfig, out_root: Path, master_key: bytes,
                on_stage: Callable[[str], None] | None = None, limits: Limits | None = None) -> RunResult:
    limits = limits or resolve()
    privacy_budget.ensure_available(out_root, cfg)
    staging = release.start(out_root, cfg.request.id)
    result = RunResult(staging.final, staging.run_id)
    scratch = ExitStack()

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        kill_point(name)
        if on_stage:
            on_stage(name)
        t0 = time.perf_counter()
        yield
        result.timings[name] = time.perf_counter() - t0

    try:
        work = scratch.enter_context(workspace.scratch(out_root, limits.temp_dir))  # until the run ends
        sandbox_db = work / "sandbox.duckdb"
        con = duckdb.connect(config=duckdb_config(limits, work / "spill"))
        try:
            with stage("sources"):
                registered = register_sources(con, cfg.catalog)
            with stage("eligibility"):
                result.eligibility = apply_eligibility(con, cfg, registered.rows)
                result.eligibility.overdue = write_overdue(con, result.eligibility, staging.review)
            key = project_key(master_key, cfg.request.project)
            with stage("protect"):
                result.protected = build_sandbox(con, cfg, key, sandbox_db, limits.threads)
                if result.protected.reidentification is not None:
                    write_map(staging.root / "controller", key, result.protected.reidentification)
                write_persons(con, result.eligibility.flagged, result.protected.person_map,
                              staging.root / "controller")
        except duckdb.Error as exc:
            raise ExtractorError(f"reading the sources failed: {str(exc).strip().splitlines()[0]}") from None
        finally:
            con.close()
        with stage("query"):
            frames = {o.name: run_query(sandbox_db, o.query, limits)
                      for o in cfg.request.outputs}
        outputs = []
        frames[FLOW.name] = flow_frame(result.eligibility)
        with stage("disclosure"):
            for out in (*cfg.request.outputs, FLOW):
                if out is FLOW and frames[FLOW.name].is_empty():
                    continue
                file = f"{out.name}.csv"
                if out.kind == "anonymised_records":
                    safe, anon, crit = anonymise(frames[out.name], out, cfg.purpose.disclosure)
                    result.anonymised[out.name] = anon
                    entry = {"quasi_identifiers": list(anon.levels), "sensitive": list(crit.sensitive),
                             "k": crit.k, "l": crit.l, "levels": anon.levels, "suppressed": anon.suppressed}
                elif out.kind == "table":
                    safe, exact, table_record = control_table(frames[out.name], out, cfg.purpose.disclosure,
                                                              limits, work / "spill")
                    result.tables.append(table_record)
                    _write_exact(staging, out.name, exact)
                    if out.table.privacy == "sdc":
                        result.differences += _differences(cfg, out_root, out, exact)
                    entry = {"groups": [list(g) for g in out.table.groups], "count": out.table.count,
                             "magnitudes": list(out.table.magnitudes), "statistics": list(out.table.statistics),
                             "privacy": out.table.privacy, "dimensions": list(out.dimensions),
                             "counts": [out.table.count]}
                elif out.kind == "pseudonymised_records":
                    safe = pseudonymised_records(frames[out.name], out)
                    entry = {"dimensions": list(out.dimensions), "counts": [], "pseudonyms": list(out.pseudonyms)}
                else:
                    safe, record = control(frames[out.name], out, cfg.purpose.disclosure)
                    result.controlled.append(record)
                    entry = {"dimensions": list(out.dimensions), "counts": list(out.counts)}
                release.write_table(safe, staging.release / file)
                outputs.append({"name": out.name, "file": file, "kind": out.kind, "rows": safe.height, **entry})
            manifest = release.write_manifest(staging, cfg, outputs)
        with stage("check"):
            result.check = check_release(staging.release)
            if not result.check.passed:
                first = result.check.findings[0]
                raise CheckFailed(f"output check failed, nothing released: {first}"
                                  + (f" (and {len(result.check.findings) - 1} more)"
                                     if len(result.check.findings) > 1 else ""))
        with stage("release"):
            readability = write_notices(cfg, staging.notices)
            write_review(cfg, staging.review / "review.html", run_id=staging.run_id,
                         created_at=manifest["created_at"], elig=result.eligibility, protected=result.protected,
                         controlled=result.controlled, check=result.check, manifest=manifest,
                         tables=result.tables, differences=result.differences,
                         budget=privacy_budget.status(out_root, cfg),
                         anonymised=result.anonymised, readability=readability, limits=limits)
            kill_point("publish")
            release.publish(staging)
            kill_point("record")
            _record(cfg, out_root, result, manifest, staging)
    except BaseException:
        release.abandon(staging)
        raise
    finally:
        scratch.close()
    return result


def _write_exact(staging: release.Staging, name: str, exact) -> None:
    """The table's exact values, for the output checker and later differencing checks: never released."""
    folder = staging.root / "controller" / "tables"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    exact.write_parquet(folder / f"{name}.parquet")


def _differences(cfg: RunConfig, out_root: Path, out: Output, exact) -> list[Difference]:
    from extractor.release import audit_log

    con = audit_log.connect(out_root)
    try:
        earlier = earlier_releases(con, cfg.request.project, out.name)
    finally:
        con.close()
    return compare(out.name, list(out.dimensions), [out.table.count], exact, earlier,
                   cfg.purpose.disclosure.threshold)


def _record(cfg: RunConfig, out_root: Path, result: RunResult, manifest: dict, staging: release.Staging) -> None:
    """The run's audit record (who, what, hashes of request, queries, inputs and outputs, counts)."""
    from extractor.release import audit_log, workflow

    sources = [t.source.path for t in cfg.catalog.tables.values()] + [
        r.source.path for r in cfg.catalog.registers.values()]
    details = {
        "request_sha256": manifest["request"]["sha256"], "policy_sha256": manifest["policy"]["sha256"],
        "catalog_sha256": manifest["catalog"]["sha256"],
        "queries": {k: v["sha256"] for k, v in manifest["queries"].items()},
        "inputs": {str(p): sha256_file(p) for p in sources if p.is_file()},
        "outputs": {o["file"]: o["sha256"] for o in manifest["outputs"]},
        "rows_in": result.eligibility.rows_in if result.eligibility else {},
        "rows_out": result.eligibility.rows_out if result.eligibility else {},
        "released_rows": {o["file"]: o["rows"] for o in manifest["outputs"]},
        "title": cfg.request.title, "purpose": cfg.request.purpose, "legal_basis": cfg.request.legal_basis,
        "organisation": cfg.request.requester.organisation, "permit": cfg.request.permit_id,
        "kinds": sorted({o.kind for o in cfg.request.outputs}),
        "check": "passed",
        "privacy_spend": privacy_budget.asked(cfg),
        "differencing_findings": [vars(d) for d in result.differences],
    }
    con = audit_log.connect(out_root)
    try:
        workflow.record_run(con, run_id=staging.run_id, request_id=cfg.request.id, project=cfg.request.project,
                            requester=cfg.request.requester.name, requester_contact=cfg.request.requester.contact,
                            run_dir=staging.final, details=details,
                            extra_sql=privacy_budget.charge_sql(cfg, staging.run_id))
    except duckdb.Error as exc:
        raise ExtractorError(f"recording the run failed, nothing released: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
