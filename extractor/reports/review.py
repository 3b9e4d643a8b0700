"""Assemble the DPO review report's context from the stage records and render it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from extractor.checker.release_check import CheckReport
from extractor.config.load import RunConfig
from extractor.config.rules import RULES, label, short_label
from extractor.disclosure.aggregate import Controlled
from extractor.eligibility.apply import Eligibility
from extractor.machine import Limits
from extractor.protect.build import Protected
from extractor.release.manifest import Manifest
from extractor.reports.render import flow_bars, render


def _flow(elig: Eligibility) -> list[dict[str, Any]]:
    flows = []
    for table, rows_in in elig.rows_in.items():
        steps, remaining = [], rows_in
        for row in (r for r in elig.ledger if r.table == table):
            remaining -= row.rows
            steps.append({"label": label(row.rule), "short": short_label(row.rule),
                          "rows": row.rows, "persons": row.persons, "remaining": remaining})
        bars = flow_bars(rows_in, [(s["short"], s["rows"]) for s in steps])
        flows.append({"table": table, "rows_in": rows_in, "steps": steps, "bars": bars})
    return flows


def write_review(cfg: RunConfig, path: Path, *, run_id: str, created_at: str, elig: Eligibility,
                 protected: Protected, controlled: list[Controlled], check: CheckReport, manifest: Manifest,
                 anonymised: dict[str, Any] | None = None, readability: dict[str, Any] | None = None,
                 tables: list | None = None, differences: list | None = None,
                 budget: dict[str, float] | None = None, limits: Limits | None = None,
                 stage_costs: list | None = None) -> None:
    rules = []
    for rule in RULES:
        if rule == "research_consent" and not cfg.purpose.consent_required:
            continue
        rules.append({"label": label(rule), "applied": cfg.purpose.applies(rule) and rule not in cfg.unapplied,
                      "reason": cfg.purpose.exemptions.get(rule), "unapplied": cfg.unapplied.get(rule)})
    context = {
        "request": cfg.request, "purpose": cfg.purpose, "run_id": run_id, "created_at": created_at,
        "stage_costs": stage_costs or [], "rules": rules, "register_summary": elig.register_summary, "elig": elig,
        "flow": _flow(elig),
        "protected": protected, "anonymised": anonymised or {}, "readability": readability or {},
        "disclosure": cfg.purpose.disclosure, "controlled": controlled, "check": check, "manifest": manifest,
        "base_dir": str(cfg.request.path.parent.parent) + "/",
        "tables": tables or [], "differences": differences or [], "budget": budget,
        "limits": limits,
        "freetext_quality": _quality() if protected is not None and protected.redacted else None,
    }
    path.write_text(render("review.html.j2", context), encoding="utf-8")


def _quality() -> dict[str, Any] | None:
    """The de-identifier's measured scores on the hand-written corpus: the residual risk the DPO accepts."""
    from extractor.freetext.evaluation import shipped_quality

    quality = shipped_quality()
    if quality and "PERSON" in quality["scores"]:
        names = quality["scores"]["PERSON"]
        missed = round(names["support"] * (1 - names["recall"]))
        quality["missed_upper_per_1000"] = round(1000 * _wilson_upper(missed, names["support"]))
    return quality


def _wilson_upper(k: int, n: int, z: float = 1.96) -> float:
    """The upper end of the 95 % Wilson interval of a share k/n: how many the corpus says could be missed."""
    if n == 0:
        return 1.0
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * ((p * (1 - p) + z * z / (4 * n)) / n) ** 0.5
    return (centre + spread) / (1 + z * z / n)


def write_codebook(cfg: RunConfig, path: Path) -> None:
    """The codebook of what the run's query could read, beside the review report that links it."""
    from extractor.researcher.codebook import build, render_as

    path.write_text(render_as(build(cfg.catalog, cfg.policy, cfg.request.purpose), "html"), encoding="utf-8")
