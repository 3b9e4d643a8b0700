"""Build tiny registries (clients, documents, registers) plus catalog and request files for tests."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from extractor.config.load import RunConfig, load_config
from extractor.eligibility.apply import Eligibility, apply_eligibility
from extractor.release import workflow
from extractor.sources import register_sources

D = dt.date
AS_OF, GRANTED = D(2026, 6, 30), D(2026, 3, 1)
TODAY = D(2026, 11, 1)  # the day the tests' extracts are made (load_config's today below)

CATALOG = """
[catalog]
name = "test world"
root = "."
[tables.clients]
path = "clients.parquet"
[tables.clients.columns]
client_id = "person_key"
hetu = "direct_identifier"
birth_date = "quasi_identifier"
sex = "quasi_identifier"
death_date = "date"
[tables.documents]
path = "documents.parquet"
[tables.documents.columns]
doc_id = "document_version"
original_oid = "document_key"
client_id = "person_key"
registrar = "registrar"
service_task = "service_task"
structure_oid = "structure"
matter_closed_on = "date"
[tables.structures]
path = "structures.parquet"
[tables.structures.columns]
structure_oid = "structure"
state = "other"
[retention]
matter_closed = "matter_closed_on"
death_date = "clients.death_date"
birth_date = "clients.birth_date"
[structure_states]
table = "structures"
key = "structure_oid"
state = "state"
[registers.disclosure_ban]
path = "bans.parquet"
person = "client_id"
scope = "scope"
target = "target"
set_on = "set_on"
revoked_on = "revoked_on"
set_by_role = "set_by_role"
[registers.opt_out]
path = "opt_outs.parquet"
person = "client_id"
set_on = "set_on"
withdrawn_on = "withdrawn_on"
[registers.research_consent]
path = "consents.parquet"
person = "client_id"
study = "study"
given_on = "given_on"
withdrawn_on = "withdrawn_on"
"""


@dataclass
class World:
    """Rows as plain tuples, so the reference implementation can read them without any library."""

    clients: list[str] = field(default_factory=list)
    # (doc_id, original_oid, client_id, registrar, service_task[, structure_oid, matter_closed_on])
    documents: list[tuple] = field(default_factory=list)
    # (client_id, scope, target, set_on, revoked_on, set_by_role)
    bans: list[tuple[str, str, str, dt.date, dt.date | None, str | None]] = field(default_factory=list)
    opt_outs: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    consents: list[tuple[str, str, dt.date, dt.date | None]] = field(default_factory=list)
    deaths: dict[str, dt.date] = field(default_factory=dict)
    structures: dict[str, str] = field(default_factory=lambda: {"S1": "valmis", "S2": "vanhentunut",
                                                                "S3": "poistettu"})

    def docs(self) -> list[tuple]:
        """Documents padded to (doc_id, original, client, registrar, task, structure, matter_closed_on)."""
        return [tuple(d) + ("S1", None)[len(d) - 5:] if len(d) < 7 else tuple(d) for d in self.documents]


def write_world(w: World, folder: Path, *, purpose: str = "research", as_of: dt.date = AS_OF,
                granted: dt.date = GRANTED, study: str | None = None, query: str | None = None,
                extra_request: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"client_id": w.clients, "hetu": ["010101-0101"] * len(w.clients),
                  "birth_date": [D(1980, 1, 1)] * len(w.clients), "sex": ["F"] * len(w.clients),
                  "death_date": [w.deaths.get(c) for c in w.clients]},
                 schema={"client_id": pl.String, "hetu": pl.String, "birth_date": pl.Date, "sex": pl.String,
                         "death_date": pl.Date}).write_parquet(folder / "clients.parquet")
    pl.DataFrame(w.docs(), orient="row", schema={
        "doc_id": pl.String, "original_oid": pl.String, "client_id": pl.String, "registrar": pl.String,
        "service_task": pl.String, "structure_oid": pl.String, "matter_closed_on": pl.Date,
    }).write_parquet(folder / "documents.parquet")
    pl.DataFrame({"structure_oid": list(w.structures), "state": list(w.structures.values())}).write_parquet(
        folder / "structures.parquet")
    ban_schema = {"client_id": pl.String, "scope": pl.String, "target": pl.String, "set_on": pl.Date,
                  "revoked_on": pl.Date, "set_by_role": pl.String}
    pl.DataFrame(w.bans, orient="row", schema=ban_schema).write_parquet(folder / "bans.parquet")
    pl.DataFrame(w.opt_outs, orient="row", schema={"client_id": pl.String, "set_on": pl.Date,
                 "withdrawn_on": pl.Date}).write_parquet(folder / "opt_outs.parquet")
    pl.DataFrame(w.consents, orient="row", schema={"client_id": pl.String, "study": pl.String,
                 "given_on": pl.Date, "withdrawn_on": pl.Date}).write_parquet(folder / "consents.parquet")
    (folder / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    (folder / "q.sql").write_text(query or "SELECT service_task, count(*) AS n FROM documents GROUP BY ALL\n",
                                  encoding="utf-8")
    study_line = f'study = "{study}"\n' if study else ""
    org = '{ fi = "Org", sv = "Org", en = "Org" }'  # notice texts in every notice language
    (folder / "request.toml").write_text(f"""
[request]
id = "T-1"
title = {{ fi = "testi", sv = "test", en = "test" }}
purpose = "{purpose}"
legal_basis = "gdpr-6-1-e"
as_of = {as_of}
catalog = "catalog.toml"
retention = {{ fi = "yksi vuosi", sv = "ett år", en = "one year" }}
{study_line}requester = {{ name = "R", organisation = {org}, contact = "r@example.org" }}
controller = {{ name = "C", organisation = {{ fi = "Ctrl", sv = "Ctrl", en = "Ctrl" }}, contact = "c@example.org" }}
dpo = {{ name = {{ fi = "D", sv = "D", en = "D" }}, organisation = "Ctrl", contact = "d@example.org" }}
permit = {{ id = "P-1", granted_on = {granted} }}
{extra_request}
[[outputs]]
name = "t"
query = "q.sql"
dimensions = ["service_task"]
counts = ["n"]
""", encoding="utf-8")
    return folder / "request.toml"


def eligible_documents(request: Path) -> tuple[set[str], Eligibility, RunConfig]:
    cfg = load_config(request, today=TODAY)
    con = duckdb.connect()
    rows = register_sources(con, cfg.catalog).rows
    result = apply_eligibility(con, cfg, rows)
    ids = {r[0] for r in con.execute("SELECT doc_id FROM elig.documents").fetchall()}
    return ids, result, cfg


def reference_eligible(w: World, *, as_of: dt.date, granted: dt.date, study: str | None,
                       today: dt.date = TODAY) -> dict[str, str | None]:
    """The rules written as plainly as possible: doc_id -> the first rule that excludes it (None: kept).
    The extract is made today: a ban set or a consent withdrawn by today counts, whatever the data's as-of date."""
    opted_out = {p for p, set_on, withdrawn in w.opt_outs
                 if set_on <= granted and (withdrawn is None or withdrawn > as_of)}
    # (person, study, given, withdrawn) of every withdrawal made by today. A withdrawal takes back the consent it is
    # written on, its copies (same date), and every consent to the study given before it.
    withdrawals = [(p, s, given, withdrawn) for p, s, given, withdrawn in w.consents
                   if withdrawn is not None and withdrawn <= today]
    consented = {p for p, s, given, _ in w.consents
                 if s == study and given <= as_of
                 and not any(wp == p and ws == s and (w_on > given or w_given == given)
                             for wp, ws, w_given, w_on in withdrawals)}
    active = {(p, scope, target) for p, scope, target, set_on, revoked, _ in w.bans
              if set_on <= today and (revoked is None or revoked > as_of)}  # in force at any time from as-of to today
    verdict: dict[str, str | None] = {}
    for doc_id, original, person, registrar, task, structure, closed in w.docs():
        if person in opted_out:
            verdict[doc_id] = "opt_out"
        elif study is not None and person not in consented:
            verdict[doc_id] = "research_consent"
        elif (person, "registrar", registrar) in active:
            verdict[doc_id] = "disclosure_ban_registrar"
        elif (person, "service_task", task) in active:
            verdict[doc_id] = "disclosure_ban_service_task"
        elif (person, "document", original or doc_id) in active:  # an empty original: its own id
            verdict[doc_id] = "disclosure_ban_document"
        elif retention_ended(task, closed, w.deaths.get(person), as_of):
            verdict[doc_id] = "retention"
        elif w.structures.get(structure) == "poistettu":
            verdict[doc_id] = "structure_state"
        else:
            verdict[doc_id] = None
    return verdict


def retention_ended(task: str, closed: dt.date | None, death: dt.date | None, as_of: dt.date) -> bool:
    """Act 703/2023 for the codes shipped: 10 child welfare (2 y after death), 15 substance abuse (10 y
    after the matter closed), 20 disability services (runs from an event the data lack: never)."""
    def plus(d: dt.date, years: int) -> dt.date:
        try:
            return d.replace(year=d.year + years)
        except ValueError:  # 29 February
            return d.replace(year=d.year + years, day=28)
    if task == "10":
        return death is not None and plus(death, 2) <= as_of
    if task == "15":
        return closed is not None and plus(closed, 10) <= as_of
    return False


def submitted_run(folder: Path, clients: int = 12) -> tuple[RunConfig, Path, str]:
    """A small world run once: its config, output root and the submitted run's id (airlock tests)."""
    from conftest import TEST_KEY
    from extractor.pipeline import run_extract

    w = World(clients=[f"P{i}" for i in range(clients)],
              documents=[(f"d{i}", f"d{i}", f"P{i}", "R1", "20") for i in range(clients)])
    cfg = load_config(write_world(w, folder / "world"))
    out = folder / "out"
    return cfg, out, run_extract(cfg, out, TEST_KEY.encode()).run_id


PASSWORD = "correct horse battery"


def accounts(out: Path, project: str, checkers: tuple[str, ...] = ("alice", "bob"),
             requesters: tuple[str, ...] = ("r",), admins: tuple[str, ...] = ()) -> None:
    """Airlock accounts for a test: checkers and requesters of `project`, admins; all with PASSWORD."""
    from extractor.release.accounts import add_account, grant
    from extractor.release.store import opened

    with opened(out) as store:
        known = store.reading().accounts
        for name in (*checkers, *requesters, *admins):
            if name not in known:
                add_account(store, name, PASSWORD, admin=name in admins,
                            email="r@example.org" if name == "r" else "")
        for name in checkers:
            grant(store, name, project, "checker")
        for name in requesters:
            grant(store, name, project, "requester")


def approve_and_release(out: Path, run_id: str, dest: Path) -> Path:
    """Two output checkers approve a run, then it is released to `dest` (as the airlock would)."""
    from extractor.release.store import opened

    with opened(out) as store:
        project = store.reading().run(run_id).project
    accounts(out, project, checkers=("checker-one", "checker-two"), requesters=())
    with opened(out) as store:
        workflow.decide(store, "checker-one", run_id, "approve")
        workflow.decide(store, "checker-two", run_id, "approve")
        return workflow.release(store, "checker-one", run_id, dest)


def reference_figure(v: int, t: int = 7, base: int = 5) -> str:
    """The published-count rule, written plainly: 0 stays, 1..t redacted, the rest to the nearest base,
    never at or below t."""
    if v == 0:
        return "0"
    if v <= t:
        return "[REDACTED]"
    return str(max(base * ((v + base // 2) // base), base * (t // base + 1)))


AUDIT_REQUEST = Path(__file__).resolve().parent.parent / "examples" / "registry" / "audit_request.toml"
# One client the requester aims at: the first by key (a surrogate in the sandbox, but one person all the same).
ONE = "(SELECT min(client_id) FROM clients)"


def request_with_outputs(tmp: Path, rid: str, outputs: dict[str, tuple[str, str]]) -> Path:
    """The audit example's header with these outputs: name -> (query, the output's TOML lines after kind)."""
    text = AUDIT_REQUEST.read_text(encoding="utf-8")
    head, _, rest = text.partition("[[outputs]]")
    notice = rest[rest.index("[notice.summary]"):]
    shutil.copy(AUDIT_REQUEST.parent / "catalog.toml", tmp / "catalog.toml")
    body = ""
    for name, (query, lines) in outputs.items():
        (tmp / f"{name}.sql").write_text(query, encoding="utf-8")
        body += f'[[outputs]]\nname = "{name}"\nquery = "{name}.sql"\n{lines}\n'
    path = tmp / f"{rid}.toml"
    head = head.replace('id = "AUD-2026-014"', f'id = "{rid}"').replace(
        'clients = ["client_id", "region"]', 'clients = ["client_id", "region", "sex", "birth_date"]')
    path.write_text(head + body + notice, encoding="utf-8")
    return path
