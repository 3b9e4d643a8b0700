"""Fuzzed FHIR exports: a damaged NDJSON line or Consent ends in a correct run or in one line naming the file.

A small export (patients, encounters, conditions, Consents) is written, then hypothesis damages one line of one
file: a value of another JSON type, an element removed, a line that is not JSON, an empty line, a BOM, another
resourceType, a reference to another type or to nothing, a huge or NUL-bearing string, a date that is not one,
a line cut short. Every case must release (and pass the output checker) or raise one ExtractorError of one line
naming the damaged file, the catalog or the query; never another exception, never a partial output.
FUZZ_EXAMPLES sets how many cases (default 30).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
FILES = ("Patient.ndjson", "Encounter.ndjson", "Condition.ndjson", "Consent.ndjson")
CATALOG = """[catalog]
name = "fuzzed FHIR"
[tables.patient]
path = "Patient.ndjson"
resource = "Patient"
[tables.patient.columns]
patient_id = { role = "person_key", path = "id" }
birth_date = { role = "quasi_identifier", type = "date", path = "birthDate" }
gender = { role = "quasi_identifier", path = "gender" }
[tables.encounter]
path = "Encounter.ndjson"
resource = "Encounter"
[tables.encounter.columns]
encounter_id = { role = "document_key", path = "id" }
patient_id = { role = "person_key", path = "subject.reference", reference = "Patient" }
[tables.condition]
path = "Condition.ndjson"
resource = "Condition"
[tables.condition.columns]
patient_id = { role = "person_key", path = "subject.reference", reference = "Patient" }
encounter_id = { role = "document_key", path = "encounter.reference", reference = "Encounter" }
code = { role = "sensitive", path = "code.coding[0].code" }
onset = { role = "date", type = "date", path = "onsetDateTime" }
[registers.opt_out]
path = "Consent.ndjson"
resource = "Consent"
[registers.disclosure_ban]
path = "Consent.ndjson"
resource = "Consent"
"""
REQUEST = """[request]
id = "FUZZ-1"
project = "fuzz"
title = { fi = "t", sv = "t", en = "t" }
purpose = "research"
legal_basis = ["ehds-53-1-e"]
as_of = 2026-10-31
catalog = "catalog.toml"
policy = "policy.toml"
retention = { fi = "r", sv = "r", en = "r" }
requester = { name = "R", organisation = { fi = "o", sv = "o", en = "o" }, contact = "r@example.org" }
controller = { name = { fi = "C", sv = "C", en = "C" }, organisation = { fi = "o", sv = "o", en = "o" }, \
contact = "c@example.org" }
dpo = { name = { fi = "D", sv = "D", en = "D" }, organisation = { fi = "o", sv = "o", en = "o" }, \
contact = "d@example.org" }
permit = { id = "P-1", granted_on = 2026-06-01 }
[variables]
patient = ["patient_id", "gender"]
condition = ["patient_id", "code"]
[[outputs]]
name = "by_code"
query = "q.sql"
kind = "aggregate"
dimensions = ["code"]
counts = ["patients"]
"""
QUERY = "SELECT c.code, count(DISTINCT c.patient_id) AS patients FROM condition c JOIN patient p USING (patient_id) " \
        "GROUP BY ALL"
POLICY = """[policy]
controller = "fuzz"
version = "1"
[disclosure]
threshold = 3
rounding_base = 5
[purposes.research]
description = "fuzz"
outputs = ["aggregate"]
[purposes.research.exempt]
retention = "not social-welfare documents"
structure_state = "no Sosmeta structures"
"""


def write_world(folder: Path) -> Path:
    folder.mkdir(parents=True)
    patients, encounters, conditions, consents = [], [], [], []
    for i in range(60):
        patients.append({"resourceType": "Patient", "id": f"p{i}", "gender": ["female", "male"][i % 2],
                         "birthDate": f"{1950 + i % 40}-0{1 + i % 9}-1{i % 10}", "name": [{"family": f"Name{i}"}]})
        encounters.append({"resourceType": "Encounter", "id": f"e{i}", "subject": {"reference": f"Patient/p{i}"}})
        for code in ("I10", "E11.9"):
            conditions.append({"resourceType": "Condition", "id": f"c{i}{code}", "code": {"coding": [{"code": code}]},
                               "subject": {"reference": f"Patient/p{i}"}, "encounter": {"reference": f"Encounter/e{i}"},
                               "onsetDateTime": "2024-02-03T10:00:00+02:00"})
        if i % 10 == 0:
            consents.append({"resourceType": "Consent", "status": "active", "dateTime": "2024-01-01",
                             "scope": {"coding": [{"code": "research"}]}, "patient": {"reference": f"Patient/p{i}"},
                             "provision": {"type": "deny"} if i % 20 else {
                                 "type": "deny", "data": [{"reference": {"reference": f"Encounter/e{i}"}}]}})
    for name, rows in zip(FILES, (patients, encounters, conditions, consents), strict=True):
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    for name, text in (("catalog.toml", CATALOG), ("request.toml", REQUEST), ("q.sql", QUERY),
                       ("policy.toml", POLICY)):
        (folder / name).write_text(text)
    return folder / "request.toml"


ODD = st.one_of(st.sampled_from([None, "", " ", 0, -1, 1.5, True, [], {}, ["a"], {"a": 1}, "2024", "2024-05",
                                 "2024-13-01", "31.12.2024", "Group/x", "Patient/", "Patient/nobody",
                                 "urn:uuid:9b1f", "\x00", "é", "x" * 10_000]), st.text(max_size=12))
PATHS = ("id", "gender", "birthDate", "subject.reference", "encounter.reference", "onsetDateTime", "status",
         "dateTime", "patient.reference", "provision.type", "scope", "resourceType", "code.coding")


def _set(resource: dict, path: str, value: object, remove: bool) -> None:
    *parents, last = path.split(".")
    node = resource
    for part in parents:
        if not isinstance(node.get(part), dict):
            return
        node = node[part]
    if remove:
        node.pop(last, None)
    else:
        node[last] = value


@st.composite
def damage(draw) -> tuple[str, str, dict]:
    kind = draw(st.sampled_from(["value", "remove", "not json", "empty line", "bom", "cut short", "duplicate",
                                 "empty file"]))
    return draw(st.sampled_from(FILES)), kind, {"line": draw(st.integers(0, 5)), "path": draw(st.sampled_from(PATHS)),
                                                "value": draw(ODD)}


def apply(folder: Path, name: str, kind: str, p: dict) -> None:
    path = folder / name
    lines = path.read_text().splitlines()
    i = p["line"] % len(lines)
    match kind:
        case "value" | "remove":
            resource = json.loads(lines[i])
            _set(resource, p["path"], p["value"], kind == "remove")
            lines[i] = json.dumps(resource)
        case "not json":
            lines[i] = lines[i][: len(lines[i]) // 2] + "}{"
        case "empty line":
            lines.insert(i, "")
        case "bom":
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
            return
        case "cut short":
            lines[i] = lines[i][:-3]
        case "duplicate":
            lines.insert(i, lines[i])
        case "empty file":
            lines = []
    path.write_text("".join(line + "\n" for line in lines))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
@given(case=damage())
def test_damaged_fhir_exports_run_or_fail_in_one_line(tmp_path_factory: pytest.TempPathFactory, case) -> None:
    name, kind, params = case
    folder = tmp_path_factory.mktemp("fuzz_fhir")
    request = write_world(folder / "w")
    apply(folder / "w", name, kind, params)
    out = folder / "out"
    try:
        result = run_extract(load_config(request), out, TEST_KEY.encode())
    except ExtractorError as exc:
        text = str(exc)
        assert text and "\n" not in text and "\r" not in text, repr(text)
        assert any(f in text for f in (*FILES, "catalog.toml", "q.sql")), text
        assert not list(out.glob("FUZZ-1/*/release")), "a failed run leaves no output"
        event(f"refused: {kind}")
        return
    event(f"released: {kind}")
    assert check_release(result.release_dir).passed
