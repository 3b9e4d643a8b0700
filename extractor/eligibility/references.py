"""References between FHIR resources that point at nothing: a Condition whose Patient the export lacks.

Such rows are kept (their person key is still the person's, so the person's choices still apply to them) and
named in the DPO's report with their count, so that an export cut short, or one whose Patient resources were
filtered apart from the rest, is seen before anything is released.
"""

from __future__ import annotations

import duckdb

from extractor.config.load import RunConfig
from extractor.i18n import Message
from extractor.sql import quote_ident


def dangling_references(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> list[Message]:
    tables = cfg.catalog.tables.values()
    holders = {t.source.resource: t for t in tables if t.source.resource}
    out = []
    for table in tables:
        for col in table.columns:
            target = holders.get(col.reference or "")
            key = next((k for k in target.columns if (k.path or k.name) == "id"), None) if target else None
            if target is None or key is None:
                continue
            ref, id_ = quote_ident(col.name), quote_ident(key.name)
            n = con.execute(  # ids compared bare: a document key holds Type/id, another column the id alone
                f"SELECT count(*) FROM raw.{quote_ident(table.name)} r WHERE r.{ref} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM raw.{quote_ident(target.name)} k WHERE regexp_extract(CAST(k.{id_} AS VARCHAR), "
                f"'[^/]+$') = regexp_extract(CAST(r.{ref} AS VARCHAR), '[^/]+$'))").fetchall()[0][0]
            if n:
                out.append(Message("%(file)s: %(n)s rows name a %(resource)s (%(column)s) that %(target)s does not "
                                   "hold; kept", file=table.source.path.name, n=n, resource=col.reference,
                                   column=col.path or col.name, target=target.source.path.name))
    return out
