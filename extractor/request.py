"""One extract request: who asks, why, under which permit, as of which date, and which queries to run."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .toml_fields import Fields, load_toml

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Party:
    name: str
    organisation: str
    contact: str


@dataclass(frozen=True)
class Anonymisation:
    """For record-level outputs: quasi-identifiers with their hierarchies, sensitive attributes, criteria."""

    quasi_identifiers: dict[str, str]  # column -> "builtin:NAME" or a hierarchy CSV path
    sensitive: tuple[str, ...] = ()
    k: int | None = None
    l: int | None = None  # noqa: E741
    suppression_limit: float | None = None


@dataclass(frozen=True)
class Output:
    name: str
    query: Path
    kind: str
    dimensions: tuple[str, ...]
    counts: tuple[str, ...]
    anonymisation: Anonymisation | None = None
    pseudonyms: tuple[str, ...] = ()  # pseudonymised_records: columns that carry pseudonyms


@dataclass(frozen=True)
class Notice:
    """What the patient notice should say about this extract, in each language."""

    summary: dict[str, str]  # language -> one-paragraph plain-language summary
    data_categories: dict[str, str]
    retention: dict[str, str] = field(default_factory=dict)  # language -> retention in that language


@dataclass(frozen=True)
class Request:
    path: Path
    id: str
    project: str  # pseudonyms are stable within a project and unlinkable across projects
    title: str
    requester: Party
    purpose: str
    legal_basis: str
    permit_id: str
    permit_granted_on: dt.date
    as_of: dt.date
    catalog: Path
    policy: Path | None
    study: str | None  # consent scope when the purpose is consent-based
    controller: Party
    dpo: Party
    retention: str
    variables: dict[str, tuple[str, ...]] | None  # table -> columns the queries may use
    outputs: tuple[Output, ...]
    notice: Notice
    date_shift_days: int = 0  # per-person consistent shift of dates, within ±N days (0: dates unchanged)
    reidentification: bool = False  # write an encrypted pseudonym -> person map for the controller


def _party(f: Fields, name: str) -> Party:
    p = f.table(name)
    p.reject_unknown({"name", "organisation", "contact"})
    return Party(p.str("name"), p.str("organisation"), p.str("contact"))


BUILTIN_HIERARCHIES = ("age", "date", "postal_code_fi", "code_prefix", "suppress")


def _anonymisation(f: Fields) -> Anonymisation:
    q = f.table("quasi_identifiers")
    qis = {}
    for col in q.keys():
        spec = q.str(col)
        if spec.startswith("builtin:"):
            if spec[8:] not in BUILTIN_HIERARCHIES:
                raise q.error(col, "builtin:" + " | builtin:".join(BUILTIN_HIERARCHIES) + " or a CSV path", spec)
        else:
            path = (f.path.parent / spec).resolve()
            if not path.is_file():
                raise q.error(col, "an existing hierarchy CSV (relative to the request) or builtin:NAME", spec)
            spec = str(path)
        qis[col] = spec
    if not qis:
        raise f.error("quasi_identifiers", "at least one quasi-identifier")
    limit = f.data.get("suppression_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 <= limit <= 1):
        raise f.error("suppression_limit", "a share between 0 and 1", limit)
    return Anonymisation(qis, f.str_list("sensitive", ()), f.int("k", None, minimum=2), f.int("l", None, minimum=2),
                         None if limit is None else float(limit))


def _output(f: Fields) -> Output:
    f.reject_unknown({"name", "query", "kind", "dimensions", "counts", "description", "quasi_identifiers",
                      "sensitive", "k", "l", "suppression_limit", "pseudonyms"})
    name = f.str("name")
    if not _ID.match(name):
        raise f.error("name", "a file-name-safe identifier (letters, digits, _ . -)", name)
    query = f.path_value("query")
    if query.suffix != ".sql":
        raise f.error("query", "a .sql file", query.name)
    dims, counts = f.str_list("dimensions", ()), f.str_list("counts", ())
    if set(dims) & set(counts):
        raise f.error("counts", "columns not also listed as dimensions", sorted(set(dims) & set(counts)))
    kind = f.str("kind", "aggregate")
    if kind == "aggregate" and not counts:
        raise f.error("counts", "the count columns of this aggregate table (disclosure control applies to them)")
    anonymisation = None
    if kind == "pseudonymised_records" and not dims:
        raise f.error("dimensions", "the columns of the pseudonymised records (list them under dimensions)")
    if kind == "anonymised_records":
        anonymisation = _anonymisation(f)
        if anonymisation.l and not anonymisation.sensitive:
            raise f.error("sensitive", "the sensitive attributes that l-diversity is about")
    pseudonyms = f.str_list("pseudonyms", ())
    if set(pseudonyms) - set(dims):
        raise f.error("pseudonyms", "columns also listed under dimensions", sorted(set(pseudonyms) - set(dims)))
    return Output(name, query, kind, dims, counts, anonymisation, pseudonyms)


def _notice(f: Fields | None) -> Notice:
    if f is None:
        return Notice({}, {})
    f.reject_unknown({"summary", "data_categories", "retention"})
    out = []
    for key in ("summary", "data_categories", "retention"):
        sub = f.table(key, None)
        out.append({lang: sub.str(lang) for lang in sub.keys()} if sub else {})
    return Notice(*out)


def load_request(path: Path, today: dt.date | None = None) -> Request:
    f = load_toml(path, "request")
    f.reject_unknown({"request", "outputs", "variables", "notice", "protection"})
    r = f.table("request")
    r.reject_unknown({"id", "project", "title", "requester", "purpose", "legal_basis", "permit", "as_of",
                      "catalog", "policy", "study", "controller", "dpo", "retention"})
    rid = r.str("id")
    if not _ID.match(rid):
        raise r.error("id", "a file-name-safe identifier (letters, digits, _ . -)", rid)
    permit = r.table("permit")
    permit.reject_unknown({"id", "granted_on"})
    today = today or dt.date.today()
    as_of, granted = r.date("as_of"), permit.date("granted_on")
    if as_of > today:
        raise r.error("as_of", f"a date not after today ({today})", str(as_of))
    if granted > today:
        raise permit.error("granted_on", f"a date not after today ({today})", str(granted))
    variables = None
    vf = f.table("variables", None)
    if vf is not None:
        variables = {t: vf.str_list(t) for t in vf.keys()}
    outputs = tuple(_output(o) for o in f.tables("outputs"))
    names = [o.name for o in outputs]
    if len(set(names)) != len(names) or "exclusion_flow" in names:
        raise f.error("outputs", "unique output names other than 'exclusion_flow' (used for the released "
                      "exclusion flow)", names)
    prot = f.table("protection", None)
    shift, reid = 0, False
    if prot is not None:
        prot.reject_unknown({"date_shift_days", "reidentification_map"})
        shift = prot.int("date_shift_days", 0, minimum=0)
        reid = prot.bool("reidentification_map", False)
    project = r.str("project", rid)
    if not _ID.match(project):
        raise r.error("project", "a file-name-safe identifier", project)
    return Request(
        path=path.resolve(), id=rid, project=project, title=r.str("title"), requester=_party(r, "requester"),
        purpose=r.str("purpose"), legal_basis=r.str("legal_basis"), permit_id=permit.str("id"),
        permit_granted_on=granted, as_of=as_of, catalog=r.path_value("catalog"),
        policy=r.path_value("policy", None), study=r.str("study", None), controller=_party(r, "controller"),
        dpo=_party(r, "dpo"), retention=r.str("retention"), variables=variables, outputs=outputs,
        notice=_notice(f.table("notice", None)), date_shift_days=shift, reidentification=reid,
    )
