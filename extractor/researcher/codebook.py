"""The codebook: what a researcher may query, written from the catalog and the policy, never from the data.

Every table and column a purpose may give to a query, with its label and description in the reader's
language (as the catalog gives them), its type, role, code list and
what the sandbox does to it (pseudonymised, shifted, withheld, de-identified); the helper functions with
their signatures; the purpose's output kinds, rules and thresholds. Text for the terminal, Markdown for
a wiki, HTML for the browser (linked from the review report).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extractor.config.catalog import Catalog, Column, Table, column_label, description_in
from extractor.config.code_lists import CodeList
from extractor.config.policy import Policy, Purpose
from extractor.config.rules import POLICY_RULES
from extractor.engine.sandbox_functions import SIGNATURES
from extractor.i18n import N_

FORMATS = ("text", "markdown", "html")
SHOWN_CODES = 25  # code values listed in text and Markdown
SHOWN_HTML = 400  # and in HTML (a review folder holds one per run: the 3,000 postal codes once are enough)

TREATMENT = {
    "person_key": N_("in the query a number, the same for one person in every table of a run and new in each "
                     "run; in a released pseudonym column the person's pseudonym: HMAC under the project's key, "
                     "the same in every run of one project, unlinkable across projects"),
    "document_key": N_("pseudonym (as the person key)"),
    "document_version": N_("pseudonym (as the person key)"),
    "direct_identifier": N_("withheld: never given to a query"),
    "free_text": N_("only when named in [variables]; names, identity codes, addresses, phones are removed first"),
    "quasi_identifier": N_("as recorded; generalised in record-level outputs"),
    "date": N_("as recorded (shifted per person when the request sets date_shift_days)"),
}


@dataclass(frozen=True)
class Entry:
    name: str
    type: str
    role: str
    description: str
    treatment: str
    codes: CodeList | None
    given: bool  # may a query read it (when named in [variables])
    column: Column | None = None  # its label and description in each language the catalog gives

    def label(self, lang: str) -> str:
        return column_label(self.column, lang) if self.column else self.name

    def described(self, lang: str) -> str:
        return description_in(self.column, lang) if self.column else self.description


@dataclass(frozen=True)
class TableEntry:
    name: str
    description: str
    columns: tuple[Entry, ...]
    table: Table | None = None

    def label(self, lang: str) -> str:
        return column_label(self.table, lang) if self.table else self.name

    def described(self, lang: str) -> str:
        return description_in(self.table, lang) if self.table else self.description


@dataclass(frozen=True)
class RuleEntry:
    label: str
    source: str
    applied: bool
    reason: str


@dataclass
class Codebook:
    catalog: str
    tables: tuple[TableEntry, ...]
    functions: tuple[tuple[str, str], ...]
    purposes: tuple[Purpose, ...]
    rules: dict[str, tuple[RuleEntry, ...]] = field(default_factory=dict)  # purpose -> its rules
    registers: tuple[str, ...] = ()


def _entry(c: Column) -> Entry:
    return Entry(c.name, c.type or "as stored", c.role, c.description,
                 TREATMENT.get(c.role, N_("as recorded")), c.codes, c.role != "direct_identifier", c)


def build(catalog: Catalog, policy: Policy, purpose: str | None = None,
          variables: dict[str, tuple[str, ...]] | None = None) -> Codebook:
    """The codebook of `catalog` under `policy`, for one purpose or for all of them. With a request's
    `variables`, only what its query could read: a run's codebook does not list what the request never asked."""
    purposes = (policy.purposes[purpose],) if purpose else tuple(policy.purposes.values())
    rules = {p.name: tuple(RuleEntry(r.label, r.source, p.applies(r.id), p.exemptions.get(r.id, ""))
                           for r in POLICY_RULES) for p in purposes}
    tables = tuple(TableEntry(t.name, t.description, tuple(_entry(c) for c in t.columns
                                                           if variables is None or c.name in variables[t.name]), t)
                   for t in catalog.tables.values() if variables is None or t.name in variables)
    return Codebook(catalog.name, tables, tuple(SIGNATURES.values()), purposes, rules, tuple(catalog.registers))


def _codes_line(codes: CodeList, lang: str, limit: int | None) -> str:
    shown = codes.values if limit is None else codes.values[:limit]
    parts = [f"{v} = {codes.label(v, lang) or codes.label(v, 'fi')}" if codes.labels.get(v) else v for v in shown]
    more = len(codes.values) - len(shown)
    return "; ".join(parts) + (f"; … and {more:,} more ({codes.source})" if more else "")


def render_text(book: Codebook, lang: str = "en") -> str:
    lines = [f"Codebook: {book.catalog}", ""]
    for t in book.tables:
        lines.append(f"TABLE {t.name} ({t.label(lang)})" + (f" — {t.described(lang)}" if t.described(lang) else ""))
        for c in t.columns:
            lines.append(f"  {c.name:<22} {c.type:<10} {c.role:<18} {c.label(lang)}"
                         + (f" — {c.described(lang)}" if c.described(lang) else ""))
            lines.append(f"  {'':<22} {c.treatment}")
            if c.codes:
                lines.append(f"  {'':<22} codes: {_codes_line(c.codes, lang, SHOWN_CODES)}")
        lines.append("")
    lines.append("Registers of people's choices (never given to a query): " + (", ".join(book.registers) or "none"))
    lines += ["", "Helper functions in the query sandbox:"]
    lines += [f"  {sig}\n      {what}" for sig, what in book.functions]
    for p in book.purposes:
        d = p.disclosure
        lines += ["", f"PURPOSE {p.name} — {p.description}", f"  outputs: {', '.join(p.outputs)}",
                  f"  counts of 1 to {d.threshold} hidden; others rounded ({d.rounding}, base {d.rounding_base}); "
                  f"record-level outputs k >= {d.k}"]
        for r in book.rules[p.name]:
            reason = f" ({r.reason})" if r.reason else ""
            lines.append(f"  {'applies' if r.applied else 'exempt ':<8} {r.label}{reason}")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(book: Codebook, lang: str = "en") -> str:
    lines = [f"# Codebook: {_md(book.catalog)}", ""]
    for t in book.tables:
        lines += [f"## Table `{t.name}` ({_md(t.label(lang))})", ""] + (
            [_md(t.described(lang)), ""] if t.described(lang) else [])
        lines += ["| column | label | type | role | description | in the sandbox | codes |", "|---" * 7 + "|"]
        for c in t.columns:
            codes = _md(_codes_line(c.codes, lang, SHOWN_CODES)) if c.codes else ""
            lines.append(f"| `{c.name}` | {_md(c.label(lang))} | {c.type} | {c.role} | {_md(c.described(lang))} | "
                         f"{_md(c.treatment)} | {codes} |")
        lines.append("")
    lines += ["## Helper functions", ""] + [f"- `{sig}`: {what}" for sig, what in book.functions] + [""]
    for p in book.purposes:
        d = p.disclosure
        lines += [f"## Purpose `{p.name}`", "", _md(p.description), "",
                  f"Outputs: {', '.join(p.outputs)}. Counts of 1 to {d.threshold} are hidden; the rest rounded "
                  f"({d.rounding}, base {d.rounding_base}).", ""]
        lines += [f"- {'applies' if r.applied else 'exempt'}: {_md(r.label)}"
                  + (f" ({_md(r.reason)})" if r.reason else "") for r in book.rules[p.name]]
        lines.append("")
    return "\n".join(lines)


def render_html(book: Codebook, lang: str = "en") -> str:
    from extractor.reports import labels
    from extractor.reports.render import render

    return render("codebook.html.j2", {"book": book, "shown_html": SHOWN_HTML, "role_labels": labels.ROLES,
                                       "purpose_labels": labels.PURPOSES, "kind_labels": labels.KINDS}, lang=lang)


def render_as(book: Codebook, fmt: str, lang: str = "en") -> str:
    return {"text": render_text, "markdown": render_markdown, "html": render_html}[fmt](book, lang)
