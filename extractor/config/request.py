"""One extract request: who asks, why, under which permit, as of which date, and which queries to run."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from extractor.config.notice_texts import Notice, Party, legal_basis_texts, notice, party, plain
from extractor.config.toml_fields import Fields, load_toml
from extractor.i18n import N_
from extractor.sql import NAME_RULE, is_name

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # request, project and output ids


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
    table: TableSpec | None = None  # kind "table": built and protected by the extractor from records
    where: str = ""  # "request.toml: outputs[0]": errors about its keys name the file and the key


STATISTICS = ("mean", "min", "max")


@dataclass(frozen=True)
class TableSpec:
    """A table the extractor builds from the query's records: margins, magnitudes, SDC or DP."""

    groups: tuple[tuple[str, ...], ...]  # dimension groups; a group of several columns is nested
    count: str  # name of the released record count column
    unit: str | None  # the contributing unit (dominance, p%, distinct-unit threshold, DP contribution)
    magnitudes: tuple[str, ...] = ()
    statistics: tuple[str, ...] = ()
    privacy: str = "sdc"  # "sdc": suppression + audit; "dp": differentially private noise; "cell_key": ONS/ABS
    # cell-key perturbation (the same cell, the same noise in every release of the project)
    epsilon: float | None = None
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    max_contributions: int = 1
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)


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
    free_text_subject: str = "tag"  # in redacted notes, the row's own subject as "<NIMI>" or "<pseudonym>"
    dates_in_notes: str = "month"  # dates written in notes: "shift" (with date_shift_days), "month" or "keep"
    today: dt.date = field(default_factory=dt.date.today)  # no recorded date may lie after it
    today_from: str = "the machine's clock"
    # Text a patient notice shows, per field ("title", "requester.organisation", "controller.organisation",
    # "dpo.name", "legal_basis", "retention") and language; "*" is a single string in no stated language.
    texts: dict[str, dict[str, str]] = field(default_factory=dict)


BUILTIN_HIERARCHIES = ("age", "date", "postal_code_fi", "code_prefix", "suppress")


def _anonymisation(f: Fields, handed_in: bool = False) -> Anonymisation:
    """`handed_in`: a request from the airlock reads no file of the controller's: builtin hierarchies only,
    refused before any path is looked at (whether a file exists is not for a requester to learn)."""
    q = f.table("quasi_identifiers")
    qis = {}
    for col in q.name_keys():
        spec = q.str(col)
        if spec.startswith("builtin:"):
            if spec[8:] not in BUILTIN_HIERARCHIES:
                raise q.error(col, "builtin:" + " | builtin:".join(BUILTIN_HIERARCHIES) + " or a CSV path", spec)
        elif handed_in:
            raise q.error(col, "builtin:" + " | builtin:".join(BUILTIN_HIERARCHIES) + " (a request handed in "
                          "through the airlock uses builtin hierarchies)")
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
    return Anonymisation(qis, f.names("sensitive", ()), f.int("k", None, minimum=2), f.int("l", None, minimum=2),
                         None if limit is None else float(limit))


def _number(f: Fields, key: str, value: object, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or (positive and value <= 0):
        raise f.error(key, "a positive number" if positive else "a number", value)
    return float(value)


def _table_spec(f: Fields) -> TableSpec:
    raw = f.data.get("dimensions")
    if not isinstance(raw, list) or not raw:
        raise f.error("dimensions", "a list of columns; a nested group as a list, outermost first "
                      "(e.g. [\"region\", [\"service_task\", \"social_service\"]])", raw)
    groups = []
    for item in raw:
        cols = (item,) if isinstance(item, str) else tuple(item) if isinstance(item, list) else None
        if not cols or not all(is_name(c) for c in cols):
            raise f.error("dimensions", f"column names, or lists of them for nested groups ({NAME_RULE})", item)
        groups.append(cols)
    flat = [c for g in groups for c in g]
    if len(set(flat)) != len(flat):
        raise f.error("dimensions", "each column once", flat)
    counts = f.names("counts", ("count",))
    if len(counts) != 1:
        raise f.error("counts", "one name for the record count column of a table", list(counts))
    magnitudes = f.names("magnitudes", ())
    statistics = f.str_list("statistics", ())
    for s in statistics:
        if s not in STATISTICS:
            raise f.error("statistics", "statistics among " + ", ".join(STATISTICS), s)
    if statistics and not magnitudes:
        raise f.error("statistics", "magnitudes to compute them on")
    clash = (set(magnitudes) | {counts[0]}) & set(flat)
    if clash:
        raise f.error("magnitudes", "columns not also listed as dimensions", sorted(clash))
    privacy = f.str("privacy", "sdc", choices=("sdc", "dp", "cell_key"))
    epsilon, bounds, categories = None, {}, {}
    unit = f.str("unit", None)
    if unit is not None and not is_name(unit):
        raise f.error("unit", NAME_RULE, unit)
    _unit_needed(f, privacy, magnitudes, unit)
    if privacy == "dp":
        epsilon = _number(f, "epsilon", f.data.get("epsilon"), positive=True)
        if statistics and set(statistics) - {"mean"}:
            raise f.error("statistics", "only 'mean' with privacy = 'dp' (minima and maxima cannot be made private)",
                          list(statistics))
        bf = f.table("bounds", None)
        for m in magnitudes:
            pair = bf.data.get(m) if bf else None
            if (not isinstance(pair, list) or len(pair) != 2 or pair[0] > pair[1]
                    or any(isinstance(v, bool) or not isinstance(v, int | float) for v in pair)):
                raise f.error(f"bounds.{m}", "[lower, upper]: each record's value is clamped to them", pair)
            bounds[m] = (float(pair[0]), float(pair[1]))
        cf = f.table("categories", None)
        for col in flat:
            values = cf.data.get(col) if cf else None
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                raise f.error(f"categories.{col}", "the public list of this dimension's categories (differential "
                              "privacy must not learn them from the data)", values)
            categories[col] = tuple(values)
        if any(len(g) > 1 for g in groups):
            raise f.error("dimensions", "single columns with privacy = 'dp' (no nested groups)")
        if not unit:
            raise f.error("unit", "the column naming the person each record belongs to (differential privacy "
                          "bounds each person's contribution)")
    return TableSpec(tuple(groups), counts[0], unit, magnitudes, statistics, privacy, epsilon, bounds,
                     f.int("max_contributions", 1, minimum=1), categories)


def _unit_needed(f: Fields, privacy: str, magnitudes: tuple[str, ...], unit: str | None) -> None:
    """What an SDC or a cell-key table needs: a unit (the person), and for cell keys no magnitudes."""
    if privacy == "sdc" and not unit:
        raise f.error("unit", "the column naming the person each record belongs to (a person_key column: the "
                      "small-count and dominance rules count persons, not records)")
    if privacy != "cell_key":
        return
    if magnitudes:
        raise f.error("magnitudes", "none with privacy = 'cell_key' (it perturbs counts; sums need 'sdc')",
                      list(magnitudes))
    if not unit:
        raise f.error("unit", "the column naming the person each record belongs to (each person's record key "
                      "makes the noise of a cell the same in every release)")


def _output(f: Fields, handed_in: bool = False) -> Output:
    f.reject_unknown({"name", "query", "kind", "dimensions", "counts", "description", "quasi_identifiers",
                      "sensitive", "k", "l", "suppression_limit", "pseudonyms", "unit", "magnitudes",
                      "statistics", "privacy", "epsilon", "bounds", "max_contributions", "categories"})
    name = f.str("name")
    if not ID.match(name):
        raise f.error("name", "a file-name-safe identifier (letters, digits, _ . -)", name)
    query = f.path_value("query")
    if query.suffix != ".sql":
        raise f.error("query", "a .sql file", query.name)
    kind = f.str("kind", "aggregate")
    if kind == "table":
        spec = _table_spec(f)
        return Output(name, query, kind, tuple(c for g in spec.groups for c in g), (spec.count,), table=spec,
                      where=f"{f.path}: {f.prefix}")
    dims, counts = f.names("dimensions", ()), f.names("counts", ())
    if set(dims) & set(counts):
        raise f.error("counts", "columns not also listed as dimensions", sorted(set(dims) & set(counts)))
    anonymisation = None
    match kind:  # what each output kind needs besides its columns (tables are checked above)
        case "aggregate" if not counts:
            raise f.error("counts", "the count columns of this aggregate table (disclosure control applies to them)")
        case "pseudonymised_records" if not dims:
            raise f.error("dimensions", "the columns of the pseudonymised records (list them under dimensions)")
        case "anonymised_records":
            anonymisation = _anonymisation(f, handed_in)
            if anonymisation.l and not anonymisation.sensitive:
                raise f.error("sensitive", "the sensitive attributes that l-diversity is about")
    pseudonyms = f.names("pseudonyms", ())
    if set(pseudonyms) - set(dims):
        raise f.error("pseudonyms", "columns also listed under dimensions", sorted(set(pseudonyms) - set(dims)))
    return Output(name, query, kind, dims, counts, anonymisation, pseudonyms, where=f"{f.path}: {f.prefix}")


def load_request(path: Path, today: dt.date | None = None,
                 controller_files: tuple[Path, Path | None] | None = None) -> Request:
    """The request; `controller_files` = (catalog, policy) replace the request's own (a request handed in
    through the airlock names no file on the controller's machine: the runner gives it the controller's)."""
    f = load_toml(path, "request")
    f.reject_unknown({"request", "outputs", "variables", "notice", "protection", "tests"})
    r = f.table("request")
    r.reject_unknown({"id", "project", "title", "requester", "purpose", "legal_basis", "permit", "as_of",
                      "catalog", "policy", "study", "controller", "dpo", "retention", "today"})
    rid = r.str("id")
    if not ID.match(rid):
        raise r.error("id", "a file-name-safe identifier (letters, digits, _ . -)", rid)
    permit = r.table("permit")
    permit.reject_unknown({"id", "granted_on"})
    own = "today" in r.data and controller_files is None  # handed in: the runner's clock, never the requester's
    today_from = "--today" if today else "request.today" if own else N_("the runner's clock") if controller_files \
        else N_("the machine's clock")
    today = today or (r.date("today") if own else dt.date.today())
    as_of, granted = r.date("as_of"), permit.date("granted_on")
    if as_of > today:
        raise r.error("as_of", f"a date not after today ({today})", str(as_of))
    if granted > today:
        raise permit.error("granted_on", f"a date not after today ({today})", str(granted))
    vf = f.table("variables", None)
    variables = None if vf is None else {t: vf.names(t) for t in vf.name_keys()}
    outputs = tuple(_output(o, controller_files is not None) for o in f.tables("outputs"))
    names = [o.name for o in outputs]
    if len(set(names)) != len(names) or "exclusion_flow" in names:
        raise f.error("outputs", "unique output names other than 'exclusion_flow' (used for the released "
                      "exclusion flow)", names)
    prot = f.table("protection", None)
    shift, reid, subject, note_dates = 0, False, "tag", "month"
    if prot is not None:
        prot.reject_unknown({"date_shift_days", "reidentification_map", "free_text_subject", "dates_in_notes"})
        shift = prot.int("date_shift_days", 0, minimum=0)
        reid = prot.bool("reidentification_map", False)
        subject = prot.str("free_text_subject", "tag")
        if subject not in ("tag", "pseudonym"):
            raise prot.error("free_text_subject", "'tag' or 'pseudonym'", subject)
        note_dates = prot.str("dates_in_notes", "shift" if shift else "month")
        if note_dates not in ("shift", "month", "keep"):
            raise prot.error("dates_in_notes", "'shift', 'month' or 'keep'", note_dates)
        if note_dates == "shift" and not shift:
            raise prot.error("dates_in_notes", "'month' or 'keep' ('shift' needs date_shift_days > 0)", note_dates)
    project = r.str("project", rid)
    if not ID.match(project):
        raise r.error("project", "a file-name-safe identifier", project)
    texts = {"title": r.text("title"), "legal_basis": legal_basis_texts(r), "retention": r.text("retention")}
    return Request(
        path=path.resolve(), id=rid, project=project, title=plain(texts["title"]),
        requester=party(r, "requester", texts), purpose=r.str("purpose"), legal_basis=plain(texts["legal_basis"]),
        permit_id=permit.str("id"),
        permit_granted_on=granted, as_of=as_of,
        catalog=controller_files[0] if controller_files else r.path_value("catalog"),
        policy=controller_files[1] if controller_files else r.path_value("policy", None), study=r.str("study", None),
        controller=party(r, "controller", texts), dpo=party(r, "dpo", texts), retention=plain(texts["retention"]),
        variables=variables, outputs=outputs,
        notice=notice(f.table("notice", None)), date_shift_days=shift, reidentification=reid,
        free_text_subject=subject, dates_in_notes=note_dates, today=today, today_from=today_from, texts=texts,
    )
