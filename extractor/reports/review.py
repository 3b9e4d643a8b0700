"""Assemble the DPO review report's context from the stage records and render it in the reader's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from extractor import i18n
from extractor.checker.release_check import CheckReport
from extractor.config.catalog import column_label
from extractor.config.catalog import table_label as catalog_table_label
from extractor.config.load import RunConfig
from extractor.config.rules import RULES, label, short_label
from extractor.disclosure.aggregate import Controlled
from extractor.eligibility.apply import Eligibility
from extractor.machine import Limits
from extractor.protect.build import Protected
from extractor.release.manifest import Manifest
from extractor.reports import labels
from extractor.reports.render import flow_bars, render
from extractor.reports.review_actions import actions


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


def _leaving(manifest: Manifest, controlled: list[Controlled], tables: list, anonymised: dict[str, Any],
             release_dir: Path | None) -> list[dict[str, Any]]:
    """Each released file with what an output checker first asks of it: rows, columns, hidden, rounded."""
    by_name = {c.output: c for c in controlled}
    sdc = {t.output: t for t in tables if t.privacy == "sdc"}
    out = []
    for o in manifest.outputs:
        c, t = by_name.get(o.name), sdc.get(o.name)
        hidden = t.suppressed if t else c.suppressed if c else getattr(anonymised.get(o.name), "suppressed", 0)
        rounded = sum(r["moved"] for r in t.rounding.values()) if t else c.rounded if c else 0
        out.append({"file": o.file, "kind": labels.KINDS.get(o.name if o.name == "exclusion_flow" else o.kind, o.kind),
                    "rows": o.rows, "columns": _columns(release_dir / o.file) if release_dir else None,
                    "hidden": hidden, "rounded": rounded, "href": f"../release/{o.file}"})
    return out


def _pseudonymised(cfg: RunConfig, manifest: Manifest, release_dir: Path) -> list[dict[str, Any]]:
    """Each pseudonymised_records file as the DPO weighs it: its pseudonym columns, how many rows no other row
    matches on the remaining columns (who knows those details of a person finds that person's row), and the
    date shift. Read from the released file itself: what leaves, not what the pipeline meant."""
    outs = {o.name: o for o in cfg.request.outputs}
    found = []
    for o in manifest.outputs:
        spec = outs.get(o.name)
        path = release_dir / o.file
        if o.kind != "pseudonymised_records" or spec is None or not path.is_file():
            continue
        df = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path, infer_schema=False)
        rest = [c for c in df.columns if c not in spec.pseudonyms]
        unique = int(df.select(rest).is_unique().sum()) if rest and df.height else 0
        found.append({"file": o.file, "rows": df.height, "unique": unique, "pseudonyms": list(spec.pseudonyms),
                      "shift": cfg.request.date_shift_days})
    return found


def _columns(path: Path) -> int | None:
    try:
        with path.open(encoding="utf-8") as f:
            import csv

            return len(next(csv.reader(f), []))
    except OSError:
        return None


def _namers(cfg: RunConfig, lang: str) -> dict[str, Any]:
    """Functions the template calls to name a request text, a table or columns in the reader's language."""

    def t(field: str) -> str:
        texts = cfg.request.texts.get(field, {})
        if field == "retention":
            texts = {**texts, **cfg.request.notice.retention}
        return texts.get(lang) or texts.get("*") or texts.get("en") or next(iter(texts.values()), "")

    def table_label(name: str) -> str:
        table = cfg.catalog.tables.get(name)
        return catalog_table_label(table, lang) if table is not None else name.replace("_", " ")

    def column_labels(table: str, columns: list[str] | tuple[str, ...]) -> str:
        """Labels of a table's columns; table "": a column the query made, named like a catalog column."""
        tables = [cfg.catalog.tables[table]] if table in cfg.catalog.tables else list(cfg.catalog.tables.values())
        known = {c.name: c for t in reversed(tables) for c in t.columns}
        return ", ".join(column_label(known[c], lang) if c in known else c.replace("_", " ") for c in columns)

    return {"t": t, "table_label": table_label, "column_labels": column_labels}


def write_review(cfg: RunConfig, path: Path, *, run_id: str, created_at: str, elig: Eligibility,
                 protected: Protected, controlled: list[Controlled], check: CheckReport, manifest: Manifest,
                 anonymised: dict[str, Any] | None = None, readability: dict[str, Any] | None = None,
                 tables: list | None = None, differences: list | None = None,
                 budget: dict[str, float] | None = None, limits: Limits | None = None,
                 stage_costs: list | None = None, lang: str | None = None) -> None:
    """review_fi.html, review_sv.html and review_en.html, linked from each other, and review.html in `lang`
    (else the language the command speaks: --lang, EXTRACTOR_LANG, the locale)."""
    lang = i18n.choose(lang, i18n.from_environment())
    rules = []
    for rule in RULES:
        if rule == "research_consent" and not cfg.purpose.consent_required:
            continue
        rules.append({"label": label(rule), "applied": cfg.purpose.applies(rule) and rule not in cfg.unapplied,
                      "reason": cfg.purpose.exemptions.get(rule), "reasons": cfg.purpose.exemption_texts.get(rule, {}),
                      "unapplied": cfg.unapplied.get(rule)})
    anonymised = anonymised or {}
    release_dir = path.parent.parent / "release"
    leaving = _leaving(manifest, controlled, tables or [], anonymised, release_dir)
    ks = {o.name: o.details.get("k") for o in manifest.outputs}
    context = {
        "request": cfg.request, "purpose": cfg.purpose, "run_id": run_id, "created_at": created_at,
        "purpose_label": labels.purpose(cfg.request.purpose), "rules": rules,
        "register_summary": elig.register_summary, "register_labels": labels.REGISTER_COUNTS, "elig": elig,
        "flow": _flow(elig), "protected": protected, "anonymised": anonymised, "k_of": ks,
        "readability": readability or {},
        "disclosure": cfg.purpose.disclosure, "controlled": controlled, "check": check, "manifest": manifest,
        "tables": tables or [], "differences": differences or [], "budget": budget, "leaving": leaving,
        "actions": actions(cfg, elig, leaving, tables or [], anonymised, check, differences or [], readability,
                           controlled, _pseudonymised(cfg, manifest, release_dir)),
        "entity_labels": labels.ENTITIES, "language_names": i18n.LANGUAGE_NAMES, "cell_kinds": labels.CELL_KINDS,
        "stage_labels": labels.STAGES, "audit_figures": labels.AUDIT_FIGURES,
        "stage_seconds": sum(s[1] for s in stage_costs or []) or None, "stage_costs": stage_costs or [],
        "limits": limits, "query_texts": {o.name: o.query.read_text(encoding="utf-8") for o in cfg.request.outputs},
        "freetext_quality": _quality() if protected is not None and protected.redacted else None,
    }
    for each in i18n.LANGUAGES:
        page = render("review.html.j2", {**context, **_namers(cfg, each), "other_languages": _others(each)},
                      lang=each)
        path.with_name(f"review_{each}.html").write_text(page, encoding="utf-8")
        if each == lang:
            path.write_text(page, encoding="utf-8")


def _others(lang: str) -> list[tuple[str, str, str]]:
    return [(code, name, f"review_{code}.html") for code, name in i18n.LANGUAGE_NAMES.items() if code != lang]


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
    """The codebook of what the run's query could read, beside the review report that links it: codebook.html
    and codebook_<lang>.html in each language (the report in that language links its own)."""
    from extractor.researcher.codebook import build, render_as

    book = build(cfg.catalog, cfg.policy, cfg.request.purpose, cfg.request.variables)
    for lang in i18n.LANGUAGES:
        page = render_as(book, "html", lang)
        path.with_name(f"{path.stem}_{lang}{path.suffix}").write_text(page, encoding="utf-8")
        if lang == i18n.choose(i18n.from_environment()):
            path.write_text(page, encoding="utf-8")
