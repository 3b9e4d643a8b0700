"""The review report's "Before you decide": each thing in a run that asks something of the DPO, worded as
what to do, in the reader's language (i18n.Message)."""

from __future__ import annotations

from typing import Any

from extractor.checker.release_check import CheckReport
from extractor.config.load import RunConfig
from extractor.config.rules import label
from extractor.eligibility.apply import Eligibility
from extractor.i18n import Message

WIDE_HIDDEN_SHARE = 0.2  # above this share of a table's total hidden, the researcher loses much of it


def _label(cfg: RunConfig, table: str) -> dict[str, str] | str:
    """A table's label in every language the catalog gives (else its name), for Message to pick from."""
    found = cfg.catalog.tables.get(table)
    return {**found.labels} if found is not None and found.labels else table.replace("_", " ")


def actions(cfg: RunConfig, elig: Eligibility, leaving: list[dict[str, Any]], tables: list,
            anonymised: dict[str, Any], check: CheckReport, differences: list,
            readability: dict[str, Any] | None, controlled: list | None = None,
            pseudonymised: list[dict[str, Any]] | None = None) -> list[str]:
    out: list[str] = []
    if not check.passed:
        out.append(Message("Do not approve: the independent check found %(n)s problem(s), listed in section 7.",
                           n=len(check.findings)))
    for rule, why in cfg.unapplied.items():
        out.append(Message("Decide whether the run may go ahead without the rule “%(rule)s”: %(why)s",
                           rule=Message(label(rule)), why=why))
    for table, n in ((t, n) for t, n in elig.overdue.items() if n):
        out.append(Message("Give the list of %(n)s records kept past their retention period (%(table)s) to whoever "
                           "destroys records: it is in the controller's folder.", n=n, table=_label(cfg, table)))
    out += [w if isinstance(w, Message) else Message("Check this note on the data: %(note)s", note=w)
            for w in elig.warnings]
    for t in tables:
        if t.privacy == "sdc" and t.hidden_share > WIDE_HIDDEN_SHARE:
            out.append(Message("In %(file)s, %(share)s per cent of the total is hidden: ask the researcher whether "
                               "fewer, wider groups would do.", file=t.output, share=round(100 * t.hidden_share)))
    out += _small_groups(cfg, controlled or [])
    for p in pseudonymised or []:
        out.append(Message("%(file)s gives records with each person's pseudonym (%(columns)s): it is personal data, "
                           "for the permit's secure environment only. %(unique)s of its %(rows)s rows match no other "
                           "row on their remaining columns, so whoever knows those details of a person finds that "
                           "person's row. Check that every column is needed for the permit's purpose.",
                           file=p["file"], columns=", ".join(p["pseudonyms"]), unique=p["unique"], rows=p["rows"]))
        out.append(Message("Dates in %(file)s are moved by each person's own shift, up to %(days)s days either way.",
                           file=p["file"], days=p["shift"]) if p["shift"] else
                   Message("Dates in %(file)s are as recorded: the request shifts no dates.", file=p["file"]))
    if differences:
        out.append(Message("Return the request unless you are sure the differences between published counts "
                           "(section 6) reveal no one."))
    for name, a in anonymised.items():
        if a.records and a.suppressed > 0.1 * (a.records + a.suppressed):
            out.append(Message("In %(file)s, %(n)s rows were removed to keep groups large enough: ask whether the "
                               "researcher can do with coarser details.", file=name, n=a.suppressed))
    for lang, r in (readability or {}).items():
        if not r.ok:
            out.append(Message("Make the notice in %(language)s simpler before it is published (LIX %(lix)s).",
                               language=lang, lix=r.lix))
    if any(f.get("rows") == 0 for f in leaving):
        out.append(Message("Some files have no rows: ask the researcher whether the query did what they meant."))
    return out


def _small_groups(cfg: RunConfig, controlled: list) -> list[str]:
    """Aggregates that tell only which groups are small: the whole file, some of its columns, or a tiny group's
    rows (disclosure/aggregate.py). Each is the DPO's to return unless the query is plainly about groups."""
    out: list[str] = []
    for c in controlled:
        if c.only_small:
            out.append(Message("Return %(file)s unless the query is clearly about groups: every count above zero in "
                               "it is hidden, so it tells only which groups hold fewer than %(n)s people, and where "
                               "the query picks one person out, that person's attributes.", file=c.output,
                               n=cfg.purpose.disclosure.threshold + 1))
        if c.small_columns and not c.only_small:
            out.append(Message("Return %(file)s unless the query is clearly about groups: every figure of %(columns)s "
                               "is 0 or hidden, so those columns tell only which groups hold fewer than %(n)s such "
                               "people, and where the query picks one person out, that person's attributes.",
                               file=c.output, columns=", ".join(c.small_columns),
                               n=cfg.purpose.disclosure.threshold + 1))
        if c.tiny_groups and not c.only_small:
            out.append(Message("Return %(file)s unless its groups are clearly not chosen to single people out: every "
                               "figure of %(n)s group(s) is hidden and each holds at most %(threshold)s people (for "
                               "example %(example)s), yet their rows are listed, so which rows exist says what those "
                               "few people have.", file=c.output, n=len(c.tiny_groups),
                               threshold=cfg.purpose.disclosure.threshold, example=", ".join(c.tiny_groups[:3])))
    return out
