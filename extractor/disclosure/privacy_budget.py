"""The per-project privacy budget: differentially private tables spend epsilon; a spent budget refuses.

Spending is sequential composition: the epsilons of every DP table a project's runs produced add up,
whether or not a run was later released (reviewers saw the noisy values). A run is refused before it
starts when its tables would take the project past the policy's `privacy_budget`; the spend is
written in the same transaction as the run's audit record, with a guard that fails that transaction
if a concurrent run got there first.
"""

from __future__ import annotations

from pathlib import Path

from extractor.config.load import RunConfig
from extractor.errors import ExtractorError
from extractor.release import audit_log, store


def asked(cfg: RunConfig) -> dict[str, float]:
    return {o.name: float(o.table.epsilon) for o in cfg.request.outputs
            if o.kind == "table" and o.table.privacy == "dp"}


def spent(out_root: Path, project: str) -> float:
    with audit_log.opened(out_root) as con:
        return store.spent(con, project)


def status(out_root: Path, cfg: RunConfig) -> dict[str, float] | None:
    ask = sum(asked(cfg).values())
    if not ask:
        return None
    budget = cfg.purpose.disclosure.privacy_budget
    before = spent(out_root, cfg.request.project)
    return {"budget": budget, "spent_before": before, "this_run": ask, "remaining_after": budget - before - ask}


def ensure_available(out_root: Path, cfg: RunConfig) -> None:
    ask = sum(asked(cfg).values())
    if not ask:
        return
    budget = cfg.purpose.disclosure.privacy_budget
    before = spent(out_root, cfg.request.project)
    if before + ask > budget + 1e-12:
        raise ExtractorError(
            f"{cfg.request.path}: outputs: project '{cfg.request.project}' has spent epsilon {before:g} of its "
            f"privacy budget {budget:g}; this request asks {ask:g} more (refused: the budget would be exceeded)")


def charge_sql(cfg: RunConfig, run_id: str) -> list[tuple[str, list]]:
    ask = asked(cfg)
    if not ask:
        return []
    return store.charge(run_id, cfg.request.project, ask, cfg.purpose.disclosure.privacy_budget, audit_log.now())
