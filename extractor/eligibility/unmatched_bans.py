"""Active disclosure bans whose target no record of that person carries: kept in force, named to the DPO.

A ban names a registrar, a service task or a document; one that matches no record of its person is still
applied (the record may arrive later, or sit in a table the catalog does not list), and the DPO is told by
the register's line numbers, never by person key.
"""

from __future__ import annotations

import duckdb

from extractor.config.load import RunConfig
from extractor.eligibility.register_checks import counted_lines
from extractor.i18n import N_, Message
from extractor.sql import quote_ident

BAN_COLUMN_ROLE = {"registrar": "registrar", "service_task": "service_task", "document": "document_key"}
BAN_SCOPE_LABELS = {"registrar": N_("registrar"), "service_task": N_("service task"), "document": N_("document")}


def unmatched_bans(con: duckdb.DuckDBPyConnection, cfg: RunConfig, flagged: dict[str, str]) -> list[str]:
    """Active bans whose target no record of that person carries: kept in force, reported to the DPO. One pass
    for every scope (on Spark each query is a job of its own)."""
    file = cfg.catalog.registers["disclosure_ban"].source.path.name if "disclosure_ban" in cfg.catalog.registers \
        else ""
    unrecorded: set[str] = set()  # scopes no catalogued column records: their bans are counted, not listed
    selects = []
    for scope, role in BAN_COLUMN_ROLE.items():
        matched = [f"SELECT DISTINCT CAST({quote_ident(t.one_with_role('person_key') or '')} AS VARCHAR) AS person, "
                   f"CAST({quote_ident(col)} AS VARCHAR) AS target FROM {quote_ident(flagged[t.name])} "
                   f"WHERE {quote_ident('f_disclosure_ban_' + scope)}"
                   for t in cfg.catalog.tables.values() if t.name in flagged for col in t.with_role(role)]
        if not matched:
            unrecorded.add(scope)
            selects.append(f"SELECT line AS __line FROM elig_bans WHERE scope = '{scope}'")
        else:
            selects.append(f"SELECT line AS __line FROM elig_bans b WHERE scope = '{scope}' AND NOT EXISTS "
                           f"(SELECT 1 FROM ({' UNION '.join(matched)}) m WHERE m.person = b.person "
                           "AND m.target = b.target)")
    out = []
    for scope, (n, listed) in zip(BAN_COLUMN_ROLE, counted_lines(con, selects), strict=True):
        if not n:
            continue
        if scope in unrecorded:
            out.append(Message("%(file)s: %(n)s active %(scope)s ban(s) cannot be applied: no catalogued table "
                               "has a column of that role; the records they aim at may be in this release",
                               file=file, n=n, scope=Message(BAN_SCOPE_LABELS[scope])))
        else:  # line numbers only: the DPO's report holds no person key
            out.append(Message("%(file)s: %(n)s active %(scope)s ban(s) name a target that no record of that person "
                               "carries (kept in force; lines %(lines)s)", file=file, n=n,
                               scope=Message(BAN_SCOPE_LABELS[scope]), lines=listed))
    return out
