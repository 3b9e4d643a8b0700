"""The per-project privacy budget: differentially private tables spend epsilon; a spent budget refuses.

Spending is sequential composition: the epsilons of every DP table a project's runs produced add up,
whether or not a run was later released (reviewers saw the noisy values). The spend is part of each
run's audit record, and the state derived from the log sums it (airlock_state.py). A run is refused
before it starts when its tables would take the project past the policy's `privacy_budget`, and again
inside the transaction that records it (`guard`), so a concurrent run that spent first is seen.
"""

from __future__ import annotations

from collections.abc import Callable

from extractor.config.load import RunConfig
from extractor.errors import ExtractorError
from extractor.release.airlock_state import AirlockState


def asked(cfg: RunConfig) -> dict[str, float]:
    return {o.name: float(o.table.epsilon) for o in cfg.request.outputs
            if o.kind == "table" and o.table.privacy == "dp"}


def status(state: AirlockState, cfg: RunConfig) -> dict[str, float] | None:
    ask = sum(asked(cfg).values())
    if not ask:
        return None
    budget = cfg.purpose.disclosure.privacy_budget
    before = state.spend.get(cfg.request.project, 0.0)
    return {"budget": budget, "spent_before": before, "this_run": ask, "remaining_after": budget - before - ask}


def guard(cfg: RunConfig, concurrent: bool = False) -> Callable[[AirlockState], None]:
    """A check that refuses when the project's spend plus this request's would exceed the budget."""

    def check(state: AirlockState) -> None:
        ask = sum(asked(cfg).values())
        if not ask:
            return
        budget = cfg.purpose.disclosure.privacy_budget
        before = state.spend.get(cfg.request.project, 0.0)
        if before + ask > budget + 1e-12:
            why = " (a concurrent run spent first)" if concurrent else ""
            raise ExtractorError(
                f"{cfg.request.path}: outputs: project '{cfg.request.project}' has spent epsilon {before:g} of its "
                f"privacy budget {budget:g}; this request asks {ask:g} more (refused: the budget would be "
                f"exceeded){why}")
    return check
