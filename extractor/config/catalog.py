"""The catalog: where each source table lives and what role each column plays.

Roles, not names, drive every stage, so the same code runs on the synthetic Finnish registry,
on Synthea or on any other export once a catalog describes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from extractor.config.catalog_sections import RetentionColumns, StructureStates, retention, structure_states
from extractor.config.catalog_source import DUCKDB_ONLY_FORMATS as DUCKDB_ONLY_FORMATS
from extractor.config.catalog_source import FORMATS as FORMATS
from extractor.config.catalog_source import NOT_FILES, PATH_RULE, Source, parse_source
from extractor.config.catalog_source import SPARK_ONLY_FORMATS as SPARK_ONLY_FORMATS
from extractor.config.code_lists import CodeList, load_code_list
from extractor.config.toml_fields import Fields, load_toml, plain
from extractor.sql import NAME_RULE, is_name

ROLES = (
    "person_key",  # the data subject; pseudonymised, never released
    "document_key",  # stable (original) document id that document-scope bans name; pseudonymised
    "document_version",  # id of one version of a document; pseudonymised
    "direct_identifier",  # names, identity codes, addresses: dropped before the query sees anything
    "quasi_identifier",  # birth date, sex, postal code...: kept, generalised for record-level outputs
    "sensitive",
    "date",
    "free_text",  # given to a query only when the request names it, and then redacted (protect_text.py)
    "registrar",
    "service_task",
    "social_service",
    "structure",
    "other",
)
WITHHELD_ROLES = frozenset({"direct_identifier", "free_text"})
PSEUDONYMISED_ROLES = frozenset({"person_key", "document_key", "document_version"})

# Registers of the people's choices: the column names each one needs, in the catalog's words.
REGISTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "opt_out": ("person", "set_on", "withdrawn_on"),
    "disclosure_ban": ("person", "scope", "target", "set_on", "revoked_on", "set_by_role"),
    "research_consent": ("person", "study", "given_on", "withdrawn_on"),
}
BAN_SCOPES = ("registrar", "service_task", "document")
# Sosmeta 1.2.246.537.6.1284 (who set a ban): huoltaja, edunvalvoja, edunvalvontavaltuutettu, valtuutettu.
# A ban with no setter code was set by the client; any code counts the same for the rule itself.
REPRESENTATIVE_CODES = ("31", "32", "33", "34")
# Declared column types: the catalog's words -> the DuckDB type a column is read as. `code` is text that
# keeps leading zeros (postal and municipality codes); DuckDB's own names are accepted too.
TYPES = {"date": "DATE", "timestamp": "TIMESTAMP", "integer": "BIGINT", "decimal": "DOUBLE", "text": "VARCHAR",
         "code": "VARCHAR", "boolean": "BOOLEAN", "varchar": "VARCHAR", "double": "DOUBLE", "bigint": "BIGINT",
         "int": "BIGINT"}
# Register columns whose type their meaning fixes: dates are dates, keys and codes are text.
REGISTER_TYPES = {"person": "VARCHAR", "scope": "VARCHAR", "target": "VARCHAR", "set_by_role": "VARCHAR",
                  "study": "VARCHAR", "set_on": "DATE", "revoked_on": "DATE", "withdrawn_on": "DATE",
                  "given_on": "DATE"}



@dataclass(frozen=True)
class Column:
    name: str
    role: str
    type: str | None = None  # DuckDB type the column is read as, if declared (or implied by a register's key)
    format: str | None = None  # strptime format of a date or timestamp written as text (e.g. %d.%m.%Y)
    description: str = ""  # for the codebook and logs: English, else the first language given
    codes: CodeList | None = None  # the values it may hold, with labels (codebook, dummy data)
    # language ("*": one string, no language stated) -> text; the notices and the codebook speak the reader's
    descriptions: dict[str, str] = field(default_factory=dict, hash=False)
    labels: dict[str, str] = field(default_factory=dict, hash=False)  # short names ("syntymäaika", "date of birth")
    # A register key's type implied by its meaning, not declared: a typed file's integer person key (OMOP's
    # person_id) is then read as text instead of refused (it has no leading zeros to lose).
    implied: bool = False
    path: str | None = None  # ndjson: where in the resource (`code.coding[0].code`); default the column's name
    reference: str | None = None  # ndjson: the resource type a reference names (`Patient`); the column holds its id


@dataclass(frozen=True)
class Table:
    name: str
    source: Source
    columns: tuple[Column, ...]
    description: str = ""
    descriptions: dict[str, str] = field(default_factory=dict, hash=False)
    labels: dict[str, str] = field(default_factory=dict, hash=False)

    def with_role(self, role: str) -> list[str]:
        return [c.name for c in self.columns if c.role == role]

    def one_with_role(self, role: str) -> str | None:
        names = self.with_role(role)
        return names[0] if names else None


@dataclass(frozen=True)
class Register:
    """A register of choices (opt-outs, bans, consents): its source and its column names."""

    kind: str
    source: Source
    columns: dict[str, str]
    scope_values: dict[str, str] = field(default_factory=dict)  # our scope name -> value in the data
    types: dict[str, Column] = field(default_factory=dict)  # our key -> the column as read (type, format)
    representative_codes: tuple[str, ...] = REPRESENTATIVE_CODES  # setter codes that mean a representative


@dataclass(frozen=True)
class Catalog:
    path: Path
    name: str
    tables: dict[str, Table]
    registers: dict[str, Register]
    retention: RetentionColumns | None = None
    structure_states: StructureStates | None = None

    def sources(self) -> list[Source]:
        """Every source a run reads: its tables', then its registers'."""
        return [t.source for t in self.tables.values()] + [r.source for r in self.registers.values()]

    def source_paths(self) -> list[Path]:
        """Every file a run reads (tables of a database or Spark's catalog are not files)."""
        return [s.path for s in self.sources() if s.format not in NOT_FILES]

    def person_tables(self) -> frozenset[str]:
        """The names (lower case) of the tables that hold people's rows (a person_key column)."""
        return frozenset(t.name.lower() for t in self.tables.values() if t.one_with_role("person_key"))

    def person_keys(self) -> frozenset[str]:
        """The names (lower case) of the columns that hold the person a record is about, in any table."""
        return frozenset(c.name.lower() for t in self.tables.values() for c in t.columns if c.role == "person_key")


def _in(texts: dict[str, str], lang: str) -> str | None:
    """The text in `lang`; a single string (no language stated) serves every language; else English."""
    return texts.get(lang) or texts.get("*") or texts.get("en")


def column_label(column: Column | Table, lang: str) -> str:
    """A short name for readers: the label in `lang`, else the English one, else the name, underscores as spaces."""
    return _in(column.labels, lang) or column.name.replace("_", " ")


def table_label(table: Table, lang: str) -> str:
    return column_label(table, lang)


def description_in(item: Column | Table, lang: str) -> str:
    """The description in `lang`, else English, else the first given ("" if none)."""
    return _in(item.descriptions, lang) or item.description


def _type(f: Fields, key: str, spec: dict) -> tuple[str | None, str | None]:
    """(DuckDB type, date format) from a column's {type = ..., format = ...}."""
    raw = spec.get("type")
    typ = None
    if raw is not None:
        if not isinstance(raw, str) or raw.lower() not in TYPES and raw.upper() not in set(TYPES.values()):
            raise f.error(f"{key}.type", "one of " + ", ".join(sorted({"date", "timestamp", "integer", "decimal",
                                                                       "text", "code", "boolean"})), raw)
        typ = TYPES.get(raw.lower(), raw.upper())
    fmt = spec.get("format")
    if fmt is not None and (not isinstance(fmt, str) or "%" not in fmt or typ not in ("DATE", "TIMESTAMP")):
        raise f.error(f"{key}.format", "a strptime format such as \"%d.%m.%Y\", with type date or timestamp",
                          fmt)
    return typ, fmt


def _typed(f: Fields, key: str, first: str, more: frozenset[str] = frozenset()) -> tuple[str, str | None, str | None]:
    """`key = "value"`, or `key = {<first> = "value", type = ..., format = ...}`: (value, type, format)."""
    spec = f.data.get(key)
    if isinstance(spec, dict):
        sub = f.table(key)
        sub.reject_unknown({first, "type", "format", *more})
        return (sub.str(first), *_type(f, key, spec))
    if isinstance(spec, str):
        return spec, None, None
    raise f.error(key, f"a name or a table {{{first} = ..., type = ..., format = ...}}", spec)


def _columns(f: Fields, folder: Path, resource: str | None = None) -> tuple[Column, ...]:
    """The table's columns; `resource`: a FHIR resource type, whose columns may name a path and a reference."""
    cols = []
    cf = f.table("columns")
    json = resource is not None
    for name in cf.name_keys():
        more = {"description", "codes", "label", *(("path", "reference") if json else ())}
        role, typ, fmt = _typed(cf, name, "role", frozenset(more))
        if role not in ROLES:
            raise cf.error(name, "a role: " + ", ".join(ROLES), role)
        spec = cf.data[name] if isinstance(cf.data[name], dict) else {}
        described, labels = (cf.table(name).text(k, {}) for k in ("description", "label")) if spec else ({}, {})
        codes = load_code_list(cf, name, spec["codes"], folder) if "codes" in spec else None
        path, ref = (cf.table(name).str(k, None) for k in ("path", "reference")) if spec and json else (None, None)
        if path is not None and not PATH_RULE.fullmatch(path):
            raise cf.error(f"{name}.path", "a path in the resource such as code.coding[0].code", path)
        if ref is not None and not re.fullmatch(r"[A-Z][A-Za-z]+", ref):
            raise cf.error(f"{name}.reference", "the resource type the reference names, such as Patient", ref)
        if (ref == "Patient" or (resource == "Patient" and (path or name) == "id")) and role not in (
                "person_key", "direct_identifier"):  # a Patient's id is the person: never released as it is
            raise cf.error(name, "role person_key (or direct_identifier): it holds a Patient's id", role)
        cols.append(Column(name, role, typ, fmt, plain(described), codes, described, labels, path=path, reference=ref))
    if not cols:
        raise f.error("columns", "at least one column")
    return tuple(cols)


def load_catalog(path: Path, root_override: Path | None = None, schema_only: bool = False) -> Catalog:
    """The catalog; `schema_only` for the researcher's side (codebook, dummy data, tests), where the
    source files are not there: their paths are resolved but not looked for."""
    f = load_toml(path, "catalog")
    f.reject_unknown({"catalog", "tables", "registers", "retention", "structure_states"})
    head = f.table("catalog")
    head.reject_unknown({"name", "root", "description"})
    root = root_override.resolve() if root_override else (path.parent / head.str("root", ".")).resolve()
    if not root.is_dir() and not schema_only:
        where = "--data-root" if root_override else "catalog.root"
        hint = "" if root_override else "; a catalog copied elsewhere finds its data with --data-root DIR"
        raise head.error("root", f"an existing folder ({where} resolves to {root}{hint})")
    tables: dict[str, Table] = {}
    tf = f.table("tables")
    for name in tf.name_keys():
        t = tf.table(name)
        t.reject_unknown({"path", "format", "table", "connection", "delimiter", "encoding", "decimal", "columns",
                          "description", "label", "resource"})
        described = t.text("description", {})
        source = parse_source(t, root, schema_only)
        tables[name] = Table(name, source, _columns(t, path.parent, source.resource), plain(described),
                             described, t.text("label", {}))
    if not tables:
        raise f.error("tables", "at least one table")
    registers: dict[str, Register] = {}
    rf = f.table("registers", None)
    for kind in rf.keys() if rf else []:
        r = rf.table(kind)
        if kind not in REGISTER_COLUMNS:
            raise rf.error(kind, "a register kind: " + ", ".join(REGISTER_COLUMNS), kind)
        needed = REGISTER_COLUMNS[kind]
        bans_only = {"scope_values", "representative_codes"} if kind == "disclosure_ban" else set()
        r.reject_unknown({"path", "format", "table", "connection", "delimiter", "encoding", "decimal", "resource",
                          *bans_only, *needed})
        source = parse_source(r, root, schema_only)
        consents = source.format == "ndjson"  # FHIR Consents (fhir_consent.py): the columns are ours
        if consents and (source.resource != "Consent" or kind == "research_consent"):
            raise r.error("resource", "Consent, for the opt_out or disclosure_ban register", source.resource)
        columns, types = _register_columns(r, needed, consents)
        codes = ("RelatedPerson",) if consents else REPRESENTATIVE_CODES
        if kind == "disclosure_ban" and "representative_codes" in r.data:
            codes = tuple(r.str_list("representative_codes"))
        scopes: dict[str, str] = {}
        if kind == "disclosure_ban":
            sv = r.table("scope_values", None)
            scopes = {s: s for s in BAN_SCOPES}
            if sv:
                sv.reject_unknown(set(BAN_SCOPES))
                scopes.update({s: sv.str(s) for s in sv.keys()})
        registers[kind] = Register(kind, source, columns, scopes, types, codes)
    return Catalog(path.resolve(), head.str("name"), tables, registers, retention(f, tables),
                   structure_states(f, tables))


def _register_columns(r: Fields, needed: tuple[str, ...], implied: bool = False) -> tuple[dict[str, str],
                                                                                         dict[str, Column]]:
    """Each key's column name, and the column as read: `person = "asiakas"`, or a table
    `{column = "asetettu", type = "date", format = "%d.%m.%Y"}`; the key's meaning implies the type.
    `implied`: the reader names the columns by the keys themselves (FHIR Consents), so none is given."""
    columns, types = {}, {}
    for key in needed:
        if implied and key in r.data:
            raise r.error(key, f"nothing: FHIR Consents give {', '.join(needed)} themselves", r.data[key])
        name, typ, fmt = (key, None, None) if implied else _typed(r, key, "column")
        if not is_name(name):
            raise r.error(key, NAME_RULE, name)
        columns[key] = name
        types[key] = Column(name, "other", typ or REGISTER_TYPES[key], fmt, implied=typ is None)
    return columns, types
