"""The catalog's optional sections that point at columns of its tables: where retention's anchor events are
recorded, and which table gives each document structure's state. Apart from catalog.py so that each stays
small; both read the tables catalog.py has already parsed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from extractor.config.toml_fields import Fields

if TYPE_CHECKING:
    from extractor.config.catalog import Table


@dataclass(frozen=True)
class RetentionColumns:
    """Where the anchor events of retention periods are recorded."""

    matter_closed: str | None  # column, in each table with a service task, holding the matter's closing date
    death_date: tuple[str, str] | None  # (table, column) of the person's death date
    birth_date: tuple[str, str] | None  # (table, column) of the person's birth date


@dataclass(frozen=True)
class StructureStates:
    """A table giving each document structure's state (Sosmeta: luonnos, testissä, valmis, vanhentunut, poistettu)."""

    table: str
    key: str
    state: str
    removed: str = "poistettu"


def _column_ref(f: Fields, key: str, tables: dict[str, Table]) -> tuple[str, str] | None:
    ref = f.str(key, None)
    if ref is None:
        return None
    table, _, column = ref.partition(".")
    if table not in tables or column not in {c.name for c in tables[table].columns}:
        raise f.error(key, "TABLE.COLUMN naming a declared column", ref)
    return table, column


def retention(f: Fields, tables: dict[str, Table]) -> RetentionColumns | None:
    r = f.table("retention", None)
    if r is None:
        return None
    r.reject_unknown({"matter_closed", "death_date", "birth_date"})
    matter = r.str("matter_closed", None)
    if matter and not any(matter in {c.name for c in t.columns} for t in tables.values()):
        raise r.error("matter_closed", "a column declared in a table that has a service_task column", matter)
    return RetentionColumns(matter, _column_ref(r, "death_date", tables), _column_ref(r, "birth_date", tables))


def structure_states(f: Fields, tables: dict[str, Table]) -> StructureStates | None:
    s = f.table("structure_states", None)
    if s is None:
        return None
    s.reject_unknown({"table", "key", "state", "removed"})
    table = s.str("table")
    if table not in tables:
        raise s.error("table", "a table of the catalog", table)
    names = {c.name for c in tables[table].columns}
    for key in ("key", "state"):
        if s.str(key) not in names:
            raise s.error(key, f"a column declared for table '{table}'", s.str(key))
    return StructureStates(table, s.str("key"), s.str("state"), s.str("removed", "poistettu"))
