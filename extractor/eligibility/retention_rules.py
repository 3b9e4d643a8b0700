"""Which retention periods apply to a table's rows, from the event the law runs each from (Act 703/2023 and the
service-task classification, data/fi), and what the DPO is told when the data cannot show that event."""

from __future__ import annotations

import duckdb

from extractor import reference_data
from extractor.config.catalog import Table
from extractor.config.load import RunConfig
from extractor.eligibility.retention_dates import ended_sql
from extractor.i18n import N_, Message
from extractor.sql import quote_ident, quote_literal


def retention_rules(table: Table, cfg: RunConfig) -> list[tuple[str | None, str, int]]:
    """(service-task code or None for the basic-data rule, anchor, years) applying to this table."""
    ret = cfg.catalog.retention
    if ret is None:
        return []
    if table.one_with_role("service_task"):
        return list(_by_service_task())
    if ret.death_date and ret.death_date[0] == table.name:
        return list(_basic_data())
    return []


def _by_service_task() -> tuple[tuple[str, str, int], ...]:
    """The shipped periods by service task."""
    return tuple(p for p in reference_data.retention_periods() if p[0] is not None)


def _basic_data() -> tuple[tuple[None, str, int], ...]:
    """The client basic-data period (from the client's death), at most one."""
    return tuple(p for p in reference_data.retention_periods() if p[0] is None)[:1]


def anchor_sql(anchor: str, table: Table, cfg: RunConfig) -> str | None:
    """Where this table's rows find the event a retention period runs from; None when the catalog records none."""
    ret = cfg.catalog.retention
    if anchor == "matter_closed" and ret and ret.matter_closed in {c.name for c in table.columns}:
        return f"t.{quote_ident(ret.matter_closed)}"
    if anchor == "client_death" and ret and ret.death_date:
        return "b.death_date"
    if anchor == "child_birth" and ret and ret.birth_date:
        return "b.birth_date"
    return None


def retention_condition(table: Table, cfg: RunConfig) -> str | None:
    whens = []
    for code, anchor, years in retention_rules(table, cfg):
        recorded = anchor_sql(anchor, table, cfg)
        if recorded is None:
            continue  # the anchor is not recorded: cannot be assessed, kept (the report warns)
        whens.append((code, ended_sql(recorded, years, cfg.request.as_of)))
    if not whens:
        return None
    tasks = table.with_role("service_task")
    if not tasks:
        return f"coalesce({whens[0][1]}, false)"
    # A record filed under several service tasks is kept as long as any of them keeps it: it is past its period
    # when every task it names has a period that has ended (a task without a rule, or whose anchor the data do
    # not record, keeps it), whatever the order of the columns.
    cases = " ".join(f"WHEN {quote_literal(code)} THEN {test}" for code, test in whens)
    if len(tasks) == 1:
        return f"coalesce(CASE CAST(t.{quote_ident(tasks[0])} AS VARCHAR) {cases} END, false)"
    ended = [f"coalesce(CASE CAST(t.{quote_ident(c)} AS VARCHAR) {cases} END, t.{quote_ident(c)} IS NULL)"
             for c in tasks]
    named = " OR ".join(f"t.{quote_ident(c)} IS NOT NULL" for c in tasks)
    return f"(({named}) AND {' AND '.join(ended)})"


def oldest_years(cfg: RunConfig) -> dict[str, int]:
    """Shortest period per person-level anchor: only persons past it need their dates joined."""
    out: dict[str, int] = {}
    for table in cfg.catalog.tables.values():
        for _, anchor, years in retention_rules(table, cfg):
            key = {"client_death": "death_date", "child_birth": "birth_date"}.get(anchor)
            if key:
                out[key] = min(out.get(key, years), years)
    return out


# The events a retention period runs from (data/fi/retention_703_2023.csv), as the DPO reads them.
ANCHOR_EVENTS = {"last_matter_closed_and_need_ended": N_("the day the client's last matter closed and the need "
                                                         "for the service ended"),
                 "matter_closed": N_("the day the matter closed"), "client_death": N_("the client's death"),
                 "child_birth": N_("the child's birth")}


def retention_warnings(con: duckdb.DuckDBPyConnection, cfg: RunConfig, table: Table) -> list[str]:
    """Documents whose retention cannot be assessed from the data: kept, and said so to the DPO."""
    task = table.one_with_role("service_task")
    if task is None or cfg.catalog.retention is None:
        return []
    anchors = {code: anchor for code, anchor, _ in reversed(reference_data.retention_links())}  # the first row
    assessed = {code for code, anchor, _ in retention_rules(table, cfg) if anchor_sql(anchor, table, cfg)}
    others = [c for c in table.with_role("service_task") if c != task]  # a second task column: its codes too
    name = f"raw.{quote_ident(table.name)}"
    codes = " UNION ALL ".join([f"SELECT CAST({quote_ident(task)} AS VARCHAR) AS code FROM {name}",
                                *[f"SELECT CAST({quote_ident(c)} AS VARCHAR) FROM {name} "
                                  f"WHERE {quote_ident(c)} IS NOT NULL" for c in others]])
    rows = con.execute(f"SELECT code, count(*) FROM ({codes}) GROUP BY 1 ORDER BY 1").fetchall()
    out = []
    for code, n in rows:
        if code is None or not code.strip():
            out.append(Message("%(table)s: %(n)s rows without a service task: no retention rule applies; kept",
                               table=dict(table.labels) or table.name, n=n))
        elif code not in anchors:
            out.append(Message("%(table)s: %(n)s rows with service task %(code)s have no retention rule; kept",
                               table=dict(table.labels) or table.name, n=n, code=repr(code)))
        elif code not in assessed:
            anchor = anchors[code]
            out.append(Message("%(table)s: %(n)s rows with service task %(code)s: retention runs from %(event)s, "
                               "which the data do not record; kept", table=dict(table.labels) or table.name, n=n,
                               code=repr(code), event=Message(ANCHOR_EVENTS.get(anchor, N_("an event the law names")))))
    return out
