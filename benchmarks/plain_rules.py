"""The eligibility rules as an analyst writes them: plain DuckDB over the raw registry files, the baseline the
eligibility stage and the extracts are held to (run.py, eligibility_bench.py). The files are the ones the
request's catalog names."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def registry_of(cfg: Any) -> Path:
    return Path(cfg.catalog.tables["documents"].source.path).parent


def plain_rules_sql(cfg: Any, removed: list[str], select: str = "count(*)") -> str:
    """The same rules as one plain DuckDB query, one NOT EXISTS per ban scope, on the raw files."""
    reg, as_of, granted = registry_of(cfg), f"DATE '{cfg.request.as_of}'", f"DATE '{cfg.request.permit_granted_on}'"
    removed_sql = ", ".join(f"'{r}'" for r in removed) or "NULL"
    return f"""WITH b AS (SELECT * FROM '{reg}/disclosure_bans.parquet'
                   WHERE set_on <= {as_of} AND (revoked_on IS NULL OR revoked_on > {as_of})),
         dead AS (SELECT client_id FROM '{reg}/clients.parquet' WHERE death_date + INTERVAL 2 YEAR <= {as_of})
    SELECT {select} FROM '{reg}/documents.parquet' d
    WHERE NOT EXISTS (SELECT 1 FROM '{reg}/opt_outs.parquet' o WHERE o.client_id = d.client_id
                      AND o.opted_out_on <= {granted} AND (o.withdrawn_on IS NULL OR o.withdrawn_on > {as_of}))
      AND NOT EXISTS (SELECT 1 FROM b WHERE b.scope = 'registrar' AND b.client_id = d.client_id
                      AND b.target = d.registrar_oid)
      AND NOT EXISTS (SELECT 1 FROM b WHERE b.scope = 'service_task' AND b.client_id = d.client_id
                      AND b.target = d.service_task)
      AND NOT EXISTS (SELECT 1 FROM b WHERE b.scope = 'document' AND b.client_id = d.client_id
                      AND b.target = d.original_oid)
      AND NOT (d.service_task = '15' AND coalesce(d.matter_closed_on + INTERVAL 10 YEAR <= {as_of}, false))
      AND NOT (d.service_task = '10' AND d.client_id IN (SELECT client_id FROM dead))
      AND coalesce(d.structure_oid NOT IN ({removed_sql}), true)"""


def plain_clients_sql(cfg: Any) -> str:
    """The clients an analyst may read under the same rules: no opt-out, basic data kept 2 years after death."""
    reg, as_of = registry_of(cfg), f"DATE '{cfg.request.as_of}'"
    return f"""SELECT c.* FROM '{reg}/clients.parquet' c
    WHERE c.client_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM '{reg}/opt_outs.parquet' o WHERE o.client_id = c.client_id
                      AND o.opted_out_on <= DATE '{cfg.request.permit_granted_on}'
                      AND (o.withdrawn_on IS NULL OR o.withdrawn_on > {as_of}))
      AND NOT coalesce(c.death_date + INTERVAL 2 YEAR <= {as_of}, false)"""
