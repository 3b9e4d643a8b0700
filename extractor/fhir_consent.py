"""FHIR R4 Consent resources (a bulk export's Consent.ndjson) as the registers of the persons' choices.

Which Consents count: scope `research` or `patient-privacy` (consentscope), or a scope with no code (text only,
or none: counted, since leaving a choice out is the error that cannot be undone); status `active` (in force)
or `inactive` (withdrawn: on its last provision period's end, else its meta.lastUpdated, else its dateTime,
never before it began); draft, proposed, rejected and entered-in-error ones never were in force. The person
is `patient.reference` (`Patient/<id>`, relative or absolute, a version's `_history` dropped). A Consent with
no provision whose policyRule is OPTOUT is an opt-out.

Each provision, top level or nested (five levels; deeper is refused), inherits type and period from the
provision it sits in unless it states its own. A Period's end is inclusive, so a choice ending on a day is in
force that day and stops the next. Every `deny` provision whose purpose is research (HRESCH and the codes it
subsumes: BIORCH, CLINTRCH, DSRCH, …) or unstated is a choice, in force from its period's start (else the
Consent's dateTime), a planned end or a later start taken as stated:
- naming an Organization among its actors: a disclosure ban of scope registrar on that organisation's id;
- naming codes in `class` or `code`: a ban of scope service_task on each code;
- naming resources in `data`: a ban of scope document on each, as `Type/id` (`Encounter/e1`), the form the
  FHIR reader gives document keys (fhir_source.py), so that it meets only that resource;
- naming none of these: an opt-out from secondary use.
A `permit` nested in a `deny` would be an exception to it; the registers cannot hold exceptions, so the deny
applies whole (more is left out, never less). A ban set by a RelatedPerson (the Consent's performer) is
counted as set by a representative. A line that is not JSON, a Consent of another resource type, a patient
that is not a Patient reference, a provision type other than deny or permit, or a choice with no start date
(no period.start and no dateTime) stops the run with `FILE:LINE: …`.
"""

from __future__ import annotations

import duckdb

from extractor.config.catalog import Source
from extractor.errors import ExtractorError
from extractor.fhir_source import first_not_json, lines_sql
from extractor.sql import quote_literal

# v3 ActReason HRESCH (healthcare research) and the codes it subsumes.
RESEARCH_PURPOSES = ("HRESCH", "BIORCH", "CLINTRCH", "CLINTRCHNPC", "CLINTRCHPC", "PRECLINTRCH", "DSRCH", "POARCH",
                     "TRANSRCH")
REPRESENTATIVE = "RelatedPerson"  # the set_by_role of a ban whose Consent a related person gave
_LEVELS = 5  # provisions nested deeper are refused, not skipped
# The id a reference names (relative, or at the end of an absolute URL; a version's _history dropped).
_ID = "(?:^|/){type}/([^/]+)(?:/_history/[^/]+)?$"
_TYPED = "(?:^|/)([A-Z][A-Za-z]+/[^/]+)(?:/_history/[^/]+)?$"  # Type/id, for a document ban's target


def _consents(path: str) -> str:
    """One row per line: the Consent's fields the rules read, and its top provision (a Consent with no
    provision whose policyRule is OPTOUT is an opt-out: a deny of everything)."""
    def text(element: str) -> str:
        return f"json_extract_string(json, '$.{element}')"
    return f"""SELECT line, {text('resourceType')} AS resource, {text('status')} AS status,
                   {text('patient.reference')} AS patient, {text('dateTime')} AS date_time,
                   {text('meta.lastUpdated')} AS updated, {text('scope.coding[*].code')} AS scopes,
                   {text('performer[*].reference')} AS performers,
                   coalesce(json_extract(json, '$.provision'), CASE WHEN list_contains(
                       {text('policyRule.coding[*].code')}, 'OPTOUT') THEN '{{"type": "deny"}}'::JSON END) AS p0
            FROM (SELECT __line AS line, json FROM ({lines_sql(path)}))"""


def _provisions() -> str:
    """Every provision (of the CTE `consents`) with its line, depth, type and period after inheritance."""
    def own(element: str) -> str:
        return f"json_extract_string(child, '$.{element}')"
    parts = ["""SELECT line, 1 AS depth, p0 AS p, json_extract_string(p0, '$.type') AS type,
                       json_extract_string(p0, '$.period.start') AS start,
                       json_extract_string(p0, '$.period.end') AS until FROM consents WHERE p0 IS NOT NULL"""]
    for depth in range(2, _LEVELS + 1):
        parts.append(f"""SELECT line, {depth} AS depth, child AS p, coalesce({own('type')}, type) AS type,
                                coalesce({own('period.start')}, start) AS start,
                                coalesce({own('period.end')}, until) AS until
                         FROM (SELECT *, unnest(json_extract(p, '$.provision[*]')) AS child FROM level{depth - 1})""")
    ctes = ", ".join(f"level{i + 1} AS ({part})" for i, part in enumerate(parts))
    union = " UNION ALL ".join(f"SELECT * FROM level{i}" for i in range(1, _LEVELS + 1))
    return f"WITH {ctes} SELECT * FROM ({union})"


def _day_after(text: str) -> str:
    """A Period's end is inclusive (FHIR): the choice stops the day after; text that is no date passes on as
    it is, for the register's date check to name its line."""
    return f"coalesce(CAST(TRY_CAST(left({text}, 10) AS DATE) + 1 AS VARCHAR), {text})"


def _choices(path: str) -> str:
    """One row per deny provision that was ever in force: person, what it targets, from and until."""
    purposes = ", ".join(quote_literal(p) for p in RESEARCH_PURPOSES)
    def listed(element: str) -> str:
        return f"json_extract_string(p.p, '$.{element}')"
    organisation, document = _ID.format(type="Organization"), _TYPED
    # Withdrawn (inactive) without a period end: on its last update, else its dateTime, never before it began.
    withdrawn = "greatest(coalesce(c.updated, c.date_time), coalesce(p.start, c.date_time))"
    return f"""WITH consents AS ({_consents(path)}), provisions AS ({_provisions()})
        SELECT p.line, regexp_extract(c.patient, {quote_literal(_ID.format(type='Patient'))}, 1) AS person, c.status,
               coalesce(p.start, c.date_time) AS start,
               CASE WHEN p.until IS NOT NULL THEN {_day_after('p.until')}
                    WHEN c.status = 'inactive' THEN {withdrawn} END AS until,
               list_contains(list_transform(c.performers, lambda r: regexp_extract(r, '([^/]+)/[^/]+$', 1)),
                             {quote_literal(REPRESENTATIVE)}) AS by_rep,
               list_transform(list_filter({listed('actor[*].reference.reference')},
                                          lambda r: regexp_matches(r, {quote_literal(organisation)})),
                              lambda r: regexp_extract(r, {quote_literal(organisation)}, 1)) AS registrars,
               list_concat({listed('class[*].code')}, {listed('code[*].coding[*].code')}) AS tasks,
               list_transform({listed('data[*].reference.reference')},
                              lambda r: coalesce(nullif(regexp_extract(r, {quote_literal(document)}, 1), ''), r))
                   AS documents
        FROM provisions p JOIN consents c USING (line)
        WHERE p.type = 'deny' AND c.status IN ('active', 'inactive')
          AND (len(c.scopes) = 0 OR list_has_any(c.scopes, ['research', 'patient-privacy']))
          AND (len({listed('purpose[*].code')}) = 0 OR list_has_any({listed('purpose[*].code')}, [{purposes}]))"""


def check(con: duckdb.DuckDBPyConnection, src: Source) -> None:
    """The first Consent line that cannot be read as the rules above, as one line."""
    first_not_json(con, src.path)
    path = str(src.path)
    bad = con.execute(f"""WITH consents AS ({_consents(path)}), provisions AS ({_provisions()})
        SELECT line, resource, patient, NULL FROM consents
        WHERE resource IS DISTINCT FROM 'Consent'
           OR NOT regexp_matches(coalesce(patient, ''), {quote_literal(_ID.format(type='Patient'))})
        UNION ALL SELECT line, 'Consent', NULL, coalesce(type, '(none)') FROM provisions
        WHERE type IS DISTINCT FROM 'deny' AND type IS DISTINCT FROM 'permit'
        UNION ALL SELECT line, 'Consent', NULL, 'nested deeper than {_LEVELS} levels' FROM provisions
        WHERE depth = {_LEVELS} AND json_array_length(json_extract(p, '$.provision')) > 0
        ORDER BY 1 LIMIT 1""").fetchall()
    if bad:
        line, kind, patient, typ = bad[0]
        if kind != "Consent":
            raise ExtractorError(f"{src.path}:{line}: expected a Consent resource (resourceType), got {kind!r}")
        if typ is None:
            raise ExtractorError(f"{src.path}:{line}: patient.reference: expected a reference to a Patient "
                                 f"(Patient/<id>), got {str(patient)[:60]!r}")
        if typ.startswith("nested deeper"):
            raise ExtractorError(f"{src.path}:{line}: provision: expected at most {_LEVELS} levels of nested "
                                 "provisions, got more")
        raise ExtractorError(f"{src.path}:{line}: provision.type: expected deny or permit, got {typ!r}")
    undated = con.execute(f"SELECT line FROM ({_choices(path)}) WHERE start IS NULL ORDER BY 1 LIMIT 1").fetchall()
    if undated:
        raise ExtractorError(f"{src.path}:{undated[0][0]}: a Consent that denies needs provision.period.start or "
                             "dateTime: the day its choice took effect")


def register_select(src: Source, kind: str) -> str:
    """The register `kind` (opt_out, disclosure_ban) as text columns with __line, the Consent's line."""
    choices = _choices(str(src.path))
    if kind == "opt_out":
        return (f"SELECT line AS __line, person, left(start, 10) AS set_on, left(until, 10) AS withdrawn_on "
                f"FROM ({choices}) WHERE len(registrars) = 0 AND len(tasks) = 0 AND len(documents) = 0")
    if kind == "disclosure_ban":
        rep = f"CASE WHEN by_rep THEN {quote_literal(REPRESENTATIVE)} END"
        return " UNION ALL ".join(
            f"SELECT line AS __line, person, '{scope}' AS scope, unnest({column}) AS target, "
            f"left(start, 10) AS set_on, left(until, 10) AS revoked_on, {rep} AS set_by_role "
            f"FROM ({choices}) WHERE len({column}) > 0"
            for scope, column in (("registrar", "registrars"), ("service_task", "tasks"), ("document", "documents")))
    raise ExtractorError(f"{src.path}: FHIR Consents give the opt_out and disclosure_ban registers, not {kind}")
