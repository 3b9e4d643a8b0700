"""Code lists of catalog columns: the values a column may hold and their labels in fi/sv/en.

A researcher never sees the data, so the codebook must say that `service_task` holds '10', '15', '20'
and what they mean; the dummy-data generator draws from the same lists. A catalog column names its
list as `codes = "builtin:service_task"` (the THL lists shipped in extractor/data/fi), a CSV beside the
catalog (columns `code` and any of `fi`, `sv`, `en`), a list of values, or a table {value = "label"}.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from extractor.config.toml_fields import Fields

if TYPE_CHECKING:
    import polars as pl

LANGUAGES = ("fi", "sv", "en")


@dataclass(frozen=True)
class Codes:
    values: tuple[str, ...]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # value -> {language: label}


@dataclass(frozen=True, eq=False)
class CodeList:
    """A code list, read when first used (a builtin or a CSV is not loaded just because a catalog names it)."""

    source: str  # "builtin:NAME", the CSV's file name, or "inline"
    load: Callable[[], Codes]

    @cached_property
    def codes(self) -> Codes:
        return self.load()

    @property
    def values(self) -> tuple[str, ...]:
        return self.codes.values

    @property
    def labels(self) -> dict[str, dict[str, str]]:
        return self.codes.labels

    def label(self, value: str, lang: str) -> str:
        return self.labels.get(value, {}).get(lang, "")


# Polars and the reference files are loaded when a list is first used, not when a catalog is read: a
# config error is reported before the heavy imports.
@cache
def _english() -> dict[tuple[str, str], str]:
    import polars as pl

    from extractor.reference_data import data_file

    df = pl.read_csv(data_file("code_labels_en.csv"), infer_schema=False)
    return {(r["code_system_oid"], r["code"]): r["name_en"] for r in df.iter_rows(named=True)}


def _thl(df: pl.DataFrame) -> Codes:
    en = _english()
    labels = {r["code"]: {k: v for k, v in (("fi", r["name_fi"]), ("sv", r["name_sv"]),
                                            ("en", en.get((r["code_system_oid"], r["code"])))) if v}
              for r in df.iter_rows(named=True)}
    return Codes(tuple(df["code"].to_list()), labels)


def _geography(value: str, fi: str, sv: str | None = None) -> Codes:
    from extractor.reference_data import postal_codes

    df = postal_codes().select(*dict.fromkeys([value, fi, *([sv] if sv else [])])).unique(value).sort(value)
    labels = {r[value]: {k: r[c] for k, c in (("fi", fi), ("sv", sv)) if c and r[c] and c != value}
              for r in df.iter_rows(named=True)}
    return Codes(tuple(df[value].to_list()), labels)


@cache
def _builtin(name: str) -> Codes:
    from extractor.reference_data import document_structures, service_tasks, social_services

    lists = {
        "service_task": lambda: _thl(service_tasks()),
        "social_service": lambda: _thl(social_services()),
        "postal_code": lambda: _geography("postal_code", "postal_area_fi", "postal_area_sv"),
        "municipality_code": lambda: _geography("municipality_code", "municipality"),
        "municipality": lambda: _geography("municipality", "municipality"),
        "region_code": lambda: _geography("region_code", "region"),
        "region": lambda: _geography("region", "region"),
        "document_structure": lambda: Codes(
            tuple(document_structures()["oid"].to_list()),
            {r["oid"]: {"fi": r["title_fi"]} for r in document_structures().iter_rows(named=True)}),
    }
    return lists[name]()


def builtin(name: str) -> CodeList | None:
    return CodeList(f"builtin:{name}", lambda: _builtin(name)) if name in BUILTINS else None


BUILTINS = ("service_task", "social_service", "postal_code", "municipality_code", "municipality", "region_code",
            "region", "document_structure")


def load_code_list(f: Fields, key: str, spec: object, folder: Path) -> CodeList:
    """The code list of a column's `codes` (f is the table holding the column, key its name)."""
    where = f"{key}.codes"
    if isinstance(spec, list) and spec and all(isinstance(v, str | int) and not isinstance(v, bool) for v in spec):
        values = tuple(str(v) for v in spec)
        return CodeList("inline", lambda: Codes(values))
    if isinstance(spec, dict) and spec and all(_label_ok(v) for v in spec.values()):
        codes = Codes(tuple(spec), {k: v if isinstance(v, dict) else {"en": v} for k, v in spec.items()})
        return CodeList("inline", lambda: codes)
    if isinstance(spec, str) and spec.startswith("builtin:"):
        found = builtin(spec.removeprefix("builtin:"))
        if found is None:
            raise f.error(where, "builtin:" + " | builtin:".join(BUILTINS), spec)
        return found
    if isinstance(spec, str) and spec.lower().endswith((".csv", ".tsv")):
        return _csv(f, where, folder / spec)
    raise f.error(where, "\"builtin:NAME\", a .csv of codes beside the catalog, a list of values or "
                         "a table {value = \"label\"} or {value = {fi = ..., sv = ..., en = ...}}", spec)


def _label_ok(label: object) -> bool:
    """"label" (English) or {fi = "...", sv = "...", en = "..."}."""
    return isinstance(label, str) or (isinstance(label, dict) and bool(label) and set(label) <= set(LANGUAGES)
                                      and all(isinstance(v, str) for v in label.values()))


def _csv(f: Fields, where: str, path: Path) -> CodeList:
    import polars as pl

    if not path.is_file():
        raise f.error(where, "an existing CSV file (columns code and fi, sv, en)", str(path))
    try:
        df = pl.read_csv(path, infer_schema=False, separator="\t" if path.suffix.lower() == ".tsv" else ",")
    except pl.exceptions.PolarsError as exc:
        raise f.error(where, "a readable CSV file (columns code and fi, sv, en)", str(exc).splitlines()[0]) from None
    if "code" not in df.columns:
        raise f.error(where, f"a CSV with a 'code' column ({path.name} has {', '.join(df.columns)})")
    langs = [c for c in LANGUAGES if c in df.columns]
    labels = {r["code"]: {c: r[c] for c in langs if r[c]} for r in df.iter_rows(named=True) if r["code"]}
    codes = Codes(tuple(v for v in df["code"].to_list() if v), labels)
    return CodeList(path.name, lambda: codes)
