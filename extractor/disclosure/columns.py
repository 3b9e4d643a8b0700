"""The query's columns against the output's keys: a mismatch named by the TOML key, not blamed on the SQL.

A typo in `dimensions`, `unit` or a quasi-identifier is the request's mistake; a column the query returns
that no key names is the query's. Either way the message says which key of which output, what the query
returns, and the nearest name.
"""

from __future__ import annotations

import difflib

from extractor.config.request import Output
from extractor.errors import RequestMismatch
from extractor.i18n import Message


def require_columns(out: Output, returned: list[str], declared: dict[str, list[str]]) -> None:
    """declared: the output's key ("dimensions", "unit", …) -> the columns it names."""
    where = out.where or f"output '{out.name}'"
    for key, names in declared.items():
        for name in names:
            if name not in returned:
                near = difflib.get_close_matches(name, returned, n=1)
                args = {"where": where, "key": key, "name": name, "query": out.query.name,
                        "columns": ", ".join(returned)}
                raise RequestMismatch(Message(
                    "%(where)s.%(key)s names '%(name)s', which the query (%(query)s) does not return (did you mean "
                    "'%(near)s'?); it returns %(columns)s", near=near[0], **args) if near else Message(
                    "%(where)s.%(key)s names '%(name)s', which the query (%(query)s) does not return; it returns "
                    "%(columns)s", **args))
    named = {n for names in declared.values() for n in names}
    extra = [c for c in returned if c not in named]
    if extra:
        raise RequestMismatch(Message("%(query)s: the query returns '%(column)s', which no key of %(where)s names: "
                                      "add it to its %(keys)s, or leave it out of the query", query=str(out.query),
                                      column=extra[0], where=where, keys=" / ".join(declared)))


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
