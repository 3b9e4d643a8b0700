"""A small registry written the way Finnish controllers export it: CSV, semicolons, Windows-1252 or a BOM,
dates as d.m.yyyy, decimal commas, codes with leading zeros, registers where nothing was ever revoked."""

from __future__ import annotations

from pathlib import Path

CLIENTS = [  # client_id; birth date; postal code; weight (kg, decimal comma); name with Latin-1 letters
    ("0101", "1.2.1980", "00100", "71,5", "Åsa Öhman"),
    ("0102", "15.11.1975", "00530", "80,25", "Jyrki Mäkelä"),
    ("0103", "3.3.1990", "20100", "64", "Pekka Ääri"),
    ("0104", "28.2.1960", "90100", "90,0", "Outi Björk"),
]
DOCUMENTS = [  # doc; original; client; registrar; service task (code); created d.m.yyyy
    ("D1", "O1", "0101", "R1", "01", "5.1.2026"),
    ("D2", "O2", "0101", "R2", "02", "6.1.2026"),
    ("D3", "O3", "0102", "R1", "01", "7.2.2026"),
    ("D4", "O4", "0103", "R1", "02", "8.3.2026"),
    ("D5", "O5", "0104", "R2", "01", "9.4.2026"),
]
BANS = [  # person; scope; target; set on; revoked on (never: empty); setter code
    ("0102", "registrar", "R1", "1.3.2026", "", ""),
    ("9999", "registrar", "R1", "1.3.2026", "", "31"),  # a person not in the data
]

CATALOG = """
[catalog]
name = "export world"
root = "."

[tables.clients]
path = "clients.csv"
delimiter = ";"
encoding = "{encoding}"
decimal = ","
[tables.clients.columns]
client_id = {{ role = "person_key", type = "code" }}
birth_date = {{ role = "quasi_identifier", type = "date", format = "%d.%m.%Y" }}
postal_code = {{ role = "quasi_identifier", type = "code" }}
weight = {{ role = "other", type = "decimal" }}
name = "direct_identifier"

[tables.documents]
path = "documents.csv"
delimiter = ";"
encoding = "{encoding}"
[tables.documents.columns]
doc_id = "document_version"
original_oid = "document_key"
client_id = {{ role = "person_key", type = "code" }}
registrar = "registrar"
service_task = {{ role = "service_task", type = "code" }}
created_on = {{ role = "date", type = "date", format = "%d.%m.%Y" }}

[registers.disclosure_ban]
path = "bans.csv"
delimiter = ";"
encoding = "{encoding}"
person = "asiakas"
scope = "laajuus"
target = "kohde"
set_on = {{ column = "asetettu", format = "%d.%m.%Y", type = "date" }}
revoked_on = {{ column = "peruttu", format = "%d.%m.%Y", type = "date" }}
set_by_role = "asettaja"
representative_codes = ["31", "32", "33", "34"]

[registers.opt_out]
path = "opt_outs.csv"
delimiter = ";"
encoding = "{encoding}"
person = "asiakas"
set_on = {{ column = "kielletty", format = "%d.%m.%Y", type = "date" }}
withdrawn_on = {{ column = "peruttu", format = "%d.%m.%Y", type = "date" }}
"""

REQUEST = """
[request]
id = "EXP-1"
title = {{ fi = "vientitesti", sv = "exporttest", en = "export test" }}
purpose = "audit"
legal_basis = ["gdpr-6-1-c", "fi-703-2023"]
as_of = 2026-06-30
catalog = "catalog.toml"
retention = {{ fi = "yksi vuosi", sv = "ett år", en = "one year" }}
requester = {{ name = "R", organisation = {{ fi = "Org", sv = "Org", en = "Org" }}, contact = "r@example.org" }}
controller = {{ name = "C", organisation = {{ fi = "Ctrl", sv = "Ctrl", en = "Ctrl" }}, contact = "c@example.org" }}
dpo = {{ name = {{ fi = "D", sv = "D", en = "D" }}, organisation = "Ctrl", contact = "d@example.org" }}
permit = {{ id = "P-1", granted_on = 2026-03-01 }}
{extra}
[[outputs]]
name = "t"
query = "q.sql"
dimensions = ["postal_code", "service_task"]
counts = ["n"]
"""

QUERY = """SELECT c.postal_code, d.service_task, count(*) AS n
FROM documents d JOIN clients c USING (client_id)
WHERE c.birth_date < DATE '2000-01-01' AND c.weight > 1.5
GROUP BY ALL
"""


def _csv(rows: list[tuple], header: tuple[str, ...]) -> str:
    return "\r\n".join(";".join(r) for r in [header, *rows]) + "\r\n"


def write_export(folder: Path, encoding: str = "cp1252", bom: bool = False, extra: str = "",
                 clients: list[tuple] | None = None, bans: list[tuple] | None = None) -> Path:
    """The export world in `folder`; returns the request. `bom` writes UTF-8 with a byte-order mark."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "clients.csv": _csv(clients or CLIENTS, ("client_id", "birth_date", "postal_code", "weight", "name")),
        "documents.csv": _csv(DOCUMENTS, ("doc_id", "original_oid", "client_id", "registrar", "service_task",
                                          "created_on")),
        "bans.csv": _csv(BANS if bans is None else bans, ("asiakas", "laajuus", "kohde", "asetettu", "peruttu",
                                                          "asettaja")),
        "opt_outs.csv": _csv([], ("asiakas", "kielletty", "peruttu")),
    }
    for name, text in files.items():
        data = ("\ufeff" + text).encode("utf-8") if bom else text.encode(encoding)
        (folder / name).write_bytes(data)
    (folder / "catalog.toml").write_text(CATALOG.format(encoding="utf-8" if bom else encoding), encoding="utf-8")
    (folder / "q.sql").write_text(QUERY, encoding="utf-8")
    (folder / "request.toml").write_text(REQUEST.format(extra=extra), encoding="utf-8")
    return folder / "request.toml"


def parquet_bans(folder: Path, set_on: tuple[str, str] = ("1.3.2026", "2.3.2026")) -> None:
    """bans.parquet instead of bans.csv: dates stored as text, a revocation column nobody filled (typed Null)."""
    import polars as pl

    schema = {"asiakas": pl.String, "laajuus": pl.String, "kohde": pl.String, "asetettu": pl.String,
              "peruttu": pl.Null, "asettaja": pl.String}
    rows = {"asiakas": ["0102", "0101"], "laajuus": ["registrar"] * 2, "kohde": ["R1", "R2"],
            "asetettu": list(set_on), "peruttu": [None, None], "asettaja": [None, "32"]}
    pl.DataFrame(rows, schema=schema).write_parquet(folder / "bans.parquet")
    catalog = folder / "catalog.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace('path = "bans.csv"', 'path = "bans.parquet"'),
                       encoding="utf-8")
