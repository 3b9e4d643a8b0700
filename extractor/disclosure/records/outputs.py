"""Record-level anonymised outputs: build each quasi-identifier's hierarchy, find the optimal node, apply it.

The released file holds only the declared quasi-identifiers and sensitive attributes; records of classes
that miss k or ℓ are suppressed (left out), within the allowed share.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from extractor.config.policy import Disclosure
from extractor.config.request import Output
from extractor.disclosure.columns import require_columns
from extractor.disclosure.records.anonymity import Criteria, Result, generalise, search
from extractor.disclosure.records.hierarchy import (
    Hierarchy,
    age_bands,
    code_prefixes,
    dates,
    postal_codes_fi,
    suppress_only,
)
from extractor.errors import ExtractorError


def hierarchy_for(column: str, spec: str, values: pl.Series) -> Hierarchy:
    if not spec.startswith("builtin:"):
        return Hierarchy.from_csv(Path(spec), column)
    name = spec[8:]
    if name == "age":
        return age_bands(column)
    if name == "date":
        return dates(values, column)
    if name == "postal_code_fi":
        return postal_codes_fi(column)
    if name == "code_prefix":
        return code_prefixes(values, column)
    return suppress_only(values, column)


def criteria_for(out: Output, rules: Disclosure) -> Criteria:
    a = out.anonymisation
    assert a is not None
    return Criteria(k=a.k or rules.k, l=(a.l or rules.l) if a.sensitive else None, sensitive=a.sensitive,
                    suppression_limit=rules.suppression_limit if a.suppression_limit is None else a.suppression_limit)


def anonymise(df: pl.DataFrame, out: Output, rules: Disclosure) -> tuple[pl.DataFrame, Result, Criteria]:
    a = out.anonymisation
    assert a is not None
    expected = [*a.quasi_identifiers, *a.sensitive]
    require_columns(out, df.columns, {"quasi_identifiers": list(a.quasi_identifiers), "sensitive": list(a.sensitive)})
    df = df.select(pl.col(c).cast(pl.String) for c in expected)
    hierarchies = {c: hierarchy_for(c, spec, df[c]) for c, spec in a.quasi_identifiers.items()}
    criteria = criteria_for(out, rules)
    try:
        result = search(df, hierarchies, criteria)
    except ExtractorError as exc:
        raise ExtractorError(f"{out.query}: {exc}") from None
    safe = generalise(df, hierarchies, result, criteria).sort(expected, nulls_last=True)
    return safe, result, criteria


def pseudonymised_records(df: pl.DataFrame, out: Output) -> pl.DataFrame:
    """Record-level data for processing in a secure environment: exactly the declared columns, in one
    order fixed by their values (declared order of columns), so that the file tells nothing by its row
    order and is the same bytes whichever engine ran the query and however it broke ties."""
    require_columns(out, df.columns, {"dimensions": list(out.dimensions)})
    return df.select(out.dimensions).sort(list(out.dimensions), nulls_last=True, maintain_order=True)
