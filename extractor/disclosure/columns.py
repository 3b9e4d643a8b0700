"""The query's columns against the output's keys: a mismatch named by the TOML key, not blamed on the SQL.

A typo in `dimensions`, `unit` or a quasi-identifier is the request's mistake; a column the query returns
that no key names is the query's. Either way the message says which key of which output, what the query
returns, and the nearest name.
"""

from __future__ import annotations

import difflib

from extractor.config.request import Output
from extractor.errors import RequestMismatch


def require_columns(out: Output, returned: list[str], declared: dict[str, list[str]]) -> None:
    """declared: the output's key ("dimensions", "unit", …) -> the columns it names."""
    where = out.where or f"output '{out.name}'"
    for key, names in declared.items():
        for name in names:
            if name not in returned:
                near = difflib.get_close_matches(name, returned, n=1)
                raise RequestMismatch(
                    f"{where}.{key} names '{name}', which the query ({out.query.name}) does not return"
                    + (f" (did you mean '{near[0]}'?)" if near else "") + f"; it returns {', '.join(returned)}")
    named = {n for names in declared.values() for n in names}
    extra = [c for c in returned if c not in named]
    if extra:
        raise RequestMismatch(f"{out.query}: the query returns '{extra[0]}', which no key of {where} names: add "
                              f"it to its {' or '.join(declared)}, or leave it out of the query")


def declared_columns(out: Output) -> dict[str, list[str]]:
    """The output's keys and the columns each names, as its kind reads them (for `extractor test`)."""
    if out.table is not None:
        spec = out.table
        return {"dimensions": [c for g in spec.groups for c in g], "unit": [spec.unit] if spec.unit else [],
                "magnitudes": list(spec.magnitudes)}
    if out.anonymisation is not None:
        a = out.anonymisation
        return {"quasi_identifiers": list(a.quasi_identifiers), "sensitive": list(a.sensitive)}
    if out.kind == "pseudonymised_records":
        return {"dimensions": list(out.dimensions)}
    return {"dimensions": list(out.dimensions), "counts": list(out.counts)}
