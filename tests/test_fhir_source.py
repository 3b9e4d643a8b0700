"""FHIR R4 bulk exports as a source: carebundle's synthetic export with Consents, released and checked against
counts computed here from the NDJSON with Python's json module; FHIR Consents as registers, table-driven and
against a short reference implementation (hypothesis); bad exports refused in one line or named to the DPO."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.catalog import load_catalog
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract
from extractor.sources import register_sources
from extractor.synth.fhir_sample import write_sample

FHIR = REPO / "examples" / "fhir"
AS_OF, GRANTED = dt.date(2026, 10, 31), dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fhir")
    write_sample(out, patients=300)
    return out


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- the reference: FHIR Consents as choices, written plainly -------------------------------------------------
RESEARCH = {"HRESCH", "BIORCH", "CLINTRCH", "CLINTRCHNPC", "CLINTRCHPC", "PRECLINTRCH", "DSRCH", "POARCH", "TRANSRCH"}


def _id(reference: str) -> tuple[str, str]:
    """(type, id) of a reference, relative or absolute, a version's _history dropped."""
    parts = reference.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    return parts[-2], parts[-1]


def _next_day(text: str) -> str:
    return str(dt.date.fromisoformat(text[:10]) + dt.timedelta(days=1))


def reference_choices(consents: list[dict]) -> tuple[list[tuple], list[tuple]]:
    """(opt-outs [(person, start, until)], bans [(person, scope, target, start, until, by_rep)])."""
    opt_outs, bans = [], []
    for c in consents:
        scopes = {x.get("code") for x in c.get("scope", {}).get("coding", [])}
        if c.get("status") not in ("active", "inactive") or (scopes and not scopes & {"research", "patient-privacy"}):
            continue
        person = _id(c["patient"]["reference"])[1]
        rep = any(_id(p.get("reference", "x/y"))[0] == "RelatedPerson" for p in c.get("performer", []))
        top = c.get("provision")
        if top is None and "OPTOUT" in {x.get("code") for x in c.get("policyRule", {}).get("coding", [])}:
            top = {"type": "deny"}
        stack = [(top, None, None, None, 1)] if top is not None else []
        while stack:
            p, typ, start, until, depth = stack.pop()
            typ = p.get("type", typ)
            start, until = p.get("period", {}).get("start", start), p.get("period", {}).get("end", until)
            stack += [(child, typ, start, until, depth + 1) for child in p.get("provision", [])]
            purposes = {x.get("code") for x in p.get("purpose", [])}
            if typ != "deny" or (purposes and not purposes & RESEARCH):
                continue
            begin = (start or c.get("dateTime"))[:10]
            if until:
                end = _next_day(until)
            elif c["status"] == "inactive":
                end = max((c.get("meta", {}).get("lastUpdated") or c["dateTime"])[:10], begin)
            else:
                end = None
            orgs = [_id(a["reference"]["reference"])[1] for a in p.get("actor", [])
                    if _id(a["reference"]["reference"])[0] == "Organization"]
            codes = [x["code"] for x in p.get("class", [])] + [y["code"] for x in p.get("code", [])
                                                                for y in x.get("coding", [])]
            docs = ["/".join(_id(d["reference"]["reference"])) for d in p.get("data", [])]
            targets = [("registrar", t) for t in orgs] + [("service_task", t) for t in codes] + [
                ("document", t) for t in docs]
            if not targets:
                opt_outs.append((person, begin, end))
            bans += [(person, scope, target, begin, end, rep) for scope, target in targets]
    return sorted(opt_outs, key=str), sorted(bans, key=str)


def _registers(folder: Path, consents: list[dict]) -> tuple[list[tuple], list[tuple]]:
    """The registers the extractor reads from these Consents (a one-table catalog beside them)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Consent.ndjson").write_text("".join(json.dumps(c) + "\n" for c in consents))
    (folder / "Patient.ndjson").write_text(json.dumps({"resourceType": "Patient", "id": "p1"}) + "\n")
    (folder / "catalog.toml").write_text(
        '[catalog]\nname = "consents"\n[tables.patient]\npath = "Patient.ndjson"\nresource = "Patient"\n'
        '[tables.patient.columns]\nid = "person_key"\n[registers.opt_out]\npath = "Consent.ndjson"\n'
        'resource = "Consent"\n[registers.disclosure_ban]\npath = "Consent.ndjson"\nresource = "Consent"\n')
    con = duckdb.connect()
    register_sources(con, load_catalog(folder / "catalog.toml"))
    day = (lambda d: None if d is None else str(d))  # noqa: E731
    opt = con.execute("SELECT person, set_on, withdrawn_on FROM raw.register_opt_out").fetchall()
    bans = con.execute("SELECT person, scope, target, set_on, revoked_on, set_by_role IS NOT NULL "
                       "FROM raw.register_disclosure_ban").fetchall()
    return (sorted(((p, day(a), day(b)) for p, a, b in opt), key=str),
            sorted(((p, s, t, day(a), day(b), r) for p, s, t, a, b, r in bans), key=str))


def _consent(provision: dict, **fields: object) -> dict:
    base = {"resourceType": "Consent", "status": "active", "patient": {"reference": "Patient/p1"},
            "dateTime": "2024-05-01", "scope": {"coding": [{"code": "research"}]}, "provision": provision}
    return {**base, **fields}


ORG = {"reference": {"reference": "Organization/1.2.246.10"}}
CASES = [  # (name, consent, opt-outs, bans)
    ("deny everything: an opt-out from its dateTime", _consent({"type": "deny"}), [("p1", "2024-05-01", None)], []),
    ("deny for research", _consent({"type": "deny", "purpose": [{"code": "HRESCH"}]}),
     [("p1", "2024-05-01", None)], []),
    ("deny for treatment only: not a secondary-use choice", _consent({"type": "deny", "purpose": [{"code": "TREAT"}]}),
     [], []),
    ("a period", _consent({"type": "deny", "period": {"start": "2023-01-01", "end": "2025-01-01T00:00:00Z"}}),
     [("p1", "2023-01-01", "2025-01-02")], []),  # a Period's end is inclusive
    ("withdrawn: inactive, ended at its dateTime", _consent({"type": "deny"}, status="inactive"),
     [("p1", "2024-05-01", "2024-05-01")], []),
    ("withdrawn with a period end", _consent({"type": "deny", "period": {"start": "2020-01-01", "end": "2022-02-02"}},
                                             status="inactive"), [("p1", "2020-01-01", "2022-02-03")], []),
    ("a draft was never in force", _consent({"type": "deny"}, status="draft"), [], []),
    ("rejected", _consent({"type": "deny"}, status="rejected"), [], []),
    ("entered in error", _consent({"type": "deny"}, status="entered-in-error"), [], []),
    ("a treatment consent", _consent({"type": "deny"}, scope={"coding": [{"code": "treatment"}]}), [], []),
    ("permit alone", _consent({"type": "permit"}), [], []),
    ("permit all but one organisation", _consent({"type": "permit", "provision": [{"type": "deny", "actor": [ORG]}]}),
     [], [("p1", "registrar", "1.2.246.10", "2024-05-01", None, False)]),
    ("a service task by class", _consent({"type": "deny", "class": [{"code": "10"}]}),
     [], [("p1", "service_task", "10", "2024-05-01", None, False)]),
    ("one encounter", _consent({"type": "deny", "data": [{"reference": {"reference": "Encounter/e9"}}]}),
     [], [("p1", "document", "Encounter/e9", "2024-05-01", None, False)]),
    ("a nested deny inherits its parent's period",
     _consent({"type": "permit", "period": {"start": "2021-01-01", "end": "2027-01-01"},
               "provision": [{"type": "deny", "data": [{"reference": {"reference": "Encounter/e1"}}]}]}),
     [], [("p1", "document", "Encounter/e1", "2021-01-01", "2027-01-02", False)]),
    ("a nested deny's own period wins",
     _consent({"type": "permit", "period": {"start": "2021-01-01"},
               "provision": [{"type": "deny", "period": {"start": "2022-06-01", "end": "2023-06-01"},
                              "actor": [ORG]}]}),
     [], [("p1", "registrar", "1.2.246.10", "2022-06-01", "2023-06-02", False)]),
    ("three levels deep", _consent({"type": "permit", "provision": [{"type": "permit", "provision": [
        {"type": "deny", "class": [{"code": "20"}]}]}]}),
     [], [("p1", "service_task", "20", "2024-05-01", None, False)]),
    ("a permit inside a deny cannot be an exception: the deny applies whole",
     _consent({"type": "deny", "provision": [{"type": "permit", "actor": [ORG]}]}), [("p1", "2024-05-01", None)], []),
    ("given by a guardian", _consent({"type": "deny", "actor": [ORG]}, performer=[{"reference": "RelatedPerson/g"}]),
     [], [("p1", "registrar", "1.2.246.10", "2024-05-01", None, True)]),
    ("an organisation and an encounter: two bans",
     _consent({"type": "deny", "actor": [ORG], "data": [{"reference": {"reference": "Encounter/e2"}}]}),
     [], [("p1", "document", "Encounter/e2", "2024-05-01", None, False),
          ("p1", "registrar", "1.2.246.10", "2024-05-01", None, False)]),
    ("an absolute reference", _consent({"type": "deny"}, patient={"reference": "https://fhir.example/Patient/p1"}),
     [("p1", "2024-05-01", None)], []),
    ("an end on the as-of date is still in force that day", _consent({"type": "deny", "period": {"end": "2026-10-31"}}),
     [("p1", "2024-05-01", "2026-11-01")], []),
    ("a scope in text only counts", _consent({"type": "deny"}, scope={"text": "research"}),
     [("p1", "2024-05-01", None)], []),
    ("no scope counts", {k: v for k, v in _consent({"type": "deny"}).items() if k != "scope"},
     [("p1", "2024-05-01", None)], []),
    ("a research sub-purpose (BIORCH)", _consent({"type": "deny", "purpose": [{"code": "BIORCH"}]}),
     [("p1", "2024-05-01", None)], []),
    ("policyRule OPTOUT with no provision", {**{k: v for k, v in _consent({}).items() if k != "provision"},
                                             "policyRule": {"coding": [{"code": "OPTOUT"}]}},
     [("p1", "2024-05-01", None)], []),
    ("four levels deep", _consent({"type": "permit", "provision": [{"provision": [{"provision": [
        {"type": "deny", "class": [{"code": "30"}]}]}]}]}),
     [], [("p1", "service_task", "30", "2024-05-01", None, False)]),
    ("a versioned reference", _consent({"type": "deny", "data": [{"reference": {
        "reference": "Encounter/e039/_history/1"}}],
        "actor": [{"reference": {"reference": "Organization/o/_history/2"}}]}),
     [], [("p1", "document", "Encounter/e039", "2024-05-01", None, False),
          ("p1", "registrar", "o", "2024-05-01", None, False)]),
    ("withdrawn: on its last update", _consent({"type": "deny"}, status="inactive",
                                               meta={"lastUpdated": "2026-09-30T08:00:00Z"}),
     [("p1", "2024-05-01", "2026-09-30")], []),
    ("withdrawn, but recorded before it began: never before its start",
     _consent({"type": "deny", "period": {"start": "2026-05-01"}}, status="inactive"),
     [("p1", "2026-05-01", "2026-05-01")], []),
    ("a planned end after today", _consent({"type": "deny", "period": {"start": "2024-01-01", "end": "2030-01-01"}}),
     [("p1", "2024-01-01", "2030-01-02")], []),
]


@pytest.mark.parametrize(("name", "consent", "opt_outs", "bans"), CASES, ids=[c[0] for c in CASES])
def test_a_consent_becomes_these_choices(tmp_path: Path, name: str, consent: dict, opt_outs: list, bans: list) -> None:
    assert reference_choices([consent]) == (opt_outs, bans)  # the reference agrees with the table
    assert _registers(tmp_path, [consent]) == (opt_outs, bans)


_CODES = st.sampled_from(["10", "20"])
_REF = st.sampled_from(["Encounter/e1", "DocumentReference/d2"])
_DATE = st.sampled_from(["2020-01-01", "2023-06-15", "2025-12-31T10:00:00+02:00"])


def _provision(depth: int) -> st.SearchStrategy[dict]:
    fields = {"type": st.sampled_from(["deny", "permit"]),
              "period": st.fixed_dictionaries({}, optional={"start": _DATE, "end": _DATE}),
              "purpose": st.lists(st.fixed_dictionaries({"code": st.sampled_from(["HRESCH", "TREAT"])}), max_size=1),
              "actor": st.lists(st.just(ORG), max_size=1),
              "class": st.lists(st.fixed_dictionaries({"code": _CODES}), max_size=1),
              "data": st.lists(st.fixed_dictionaries({"reference": st.fixed_dictionaries({"reference": _REF})}),
                               max_size=2)}
    if depth < 3:
        fields["provision"] = st.lists(_provision(depth + 1), max_size=2)
    return st.fixed_dictionaries({}, optional=fields)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_provision(1), st.sampled_from(["active", "inactive", "draft"]),
                          st.sampled_from(["research", "patient-privacy", "treatment"]), st.booleans()),
                min_size=1, max_size=4))
def test_consents_agree_with_the_reference(tmp_path: Path, drawn: list) -> None:
    consents = []
    for provision, status, scope, guardian in drawn:
        provision = {"type": "deny", **provision} if "type" not in provision else provision
        extra = {"performer": [{"reference": "RelatedPerson/g"}]} if guardian else {}
        consents.append(_consent(provision, status=status, scope={"coding": [{"code": scope}]}, **extra))
    folder = tmp_path / f"c{abs(hash(json.dumps(consents, sort_keys=True)))}"
    assert _registers(folder, consents) == reference_choices(consents)


@pytest.mark.parametrize(("consent", "expected"), [
    ({"resourceType": "Patient", "id": "x"},
     "Consent.ndjson:1: expected a Consent resource (resourceType), got 'Patient'"),
    (_consent({"type": "deny"}, patient={"reference": "Group/g1"}),
     "patient.reference: expected a reference to a Patient"),
    (_consent({"type": "maybe"}), "provision.type: expected deny or permit, got 'maybe'"),
    ({k: v for k, v in _consent({"type": "deny"}).items() if k != "dateTime"},
     "Consent.ndjson:1: a Consent that denies needs provision.period.start or dateTime"),
    (_consent({"type": "permit", "provision": [{"provision": [{"provision": [{"provision": [{"provision": [
        {"type": "deny"}]}]}]}]}]}), "Consent.ndjson:1: provision: expected at most 5 levels of nested provisions"),
])
def test_a_consent_that_cannot_be_read_is_one_line(tmp_path: Path, consent: dict, expected: str) -> None:
    with pytest.raises(ExtractorError) as caught:
        _registers(tmp_path, [consent])
    assert expected in str(caught.value) and "\n" not in str(caught.value)


# --- the example, end to end ------------------------------------------------------------------------------------
def test_conditions_by_gender_are_the_eligible_patients_rounded(export: Path, tmp_path: Path) -> None:
    result = run_extract(load_config(FHIR / "request.toml", export), tmp_path, TEST_KEY.encode())
    assert check_release(result.release_dir).passed
    for lang in ("fi", "sv", "en"):
        assert (result.release_dir.parent / "notices" / f"notice_{lang}.html").stat().st_size > 1000
    opt_outs, bans = reference_choices(_lines(export / "Consent.ndjson"))
    out = {p for p, start, until in opt_outs if dt.date.fromisoformat(start) <= GRANTED
           and (until is None or dt.date.fromisoformat(until) > AS_OF)}
    banned = {(p, t) for p, s, t, start, until, _ in bans if s == "document" and dt.date.fromisoformat(start) <= AS_OF
              and (until is None or dt.date.fromisoformat(until) > AS_OF)}
    patients = {p["id"]: p for p in _lines(export / "Patient.ndjson") if p["id"] not in out}
    truth: dict[tuple[str, str, str], set[str]] = {}
    for c in _lines(export / "Condition.ndjson"):
        who, visit = c["subject"]["reference"].split("/")[1], c["encounter"]["reference"].split("/")[1]
        if who not in patients or (who, f"Encounter/{visit}") in banned:
            continue
        born, onset = dt.date.fromisoformat(patients[who]["birthDate"]), dt.date.fromisoformat(c["onsetDateTime"][:10])
        if (onset.year - born.year - ((onset.month, onset.day) < (born.month, born.day))) >= 18:
            key = (c["code"]["coding"][0]["code"], c["code"]["coding"][0]["display"], patients[who]["gender"])
            truth.setdefault(key, set()).add(who)
    released = pl.read_csv(result.release_dir / "conditions_by_gender.csv", infer_schema=False)
    assert released.height == len(truth)
    for code, condition, gender, shown in released.iter_rows():
        n = len(truth[(code, condition, gender)])
        assert (shown == "[REDACTED]" and n <= 7) or (int(shown) % 5 == 0 and abs(int(shown) - n) < 5)
    said = " ".join(str(w) for w in result.eligibility.warnings)
    assert "registrar ban(s) cannot be applied" in said  # the sample bans an organisation; no column holds one


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda rows: rows[:3] + [{**rows[3], "resourceType": "Observation"}] + rows[4:],
     "Condition.ndjson:4: expected a Condition resource (resourceType), got 'Observation'"),
    (lambda rows: rows[:1] + [{**rows[1], "subject": {"reference": "Group/everyone"}}] + rows[2:],
     "Condition.ndjson:2: column patient_id (subject.reference): expected a reference to a Patient (Patient/<id>), "
     "got 'Group/everyone'"),
    (lambda rows: [{**r, "onsetDateTime": "2024-13-01"} if i == 5 else r for i, r in enumerate(rows)],
     "Condition.ndjson:6: column onset: expected a date, got '2024-13-01'"),
])
def test_a_bad_resource_is_one_line(export: Path, tmp_path: Path, edit, expected: str) -> None:  # noqa: ANN001
    data = tmp_path / "data"
    shutil.copytree(export, data)
    rows = _lines(data / "Condition.ndjson")
    (data / "Condition.ndjson").write_text("".join(json.dumps(r) + "\n" for r in edit(rows)))
    with pytest.raises(ExtractorError) as caught:
        run_extract(load_config(FHIR / "request.toml", data), tmp_path / "out", TEST_KEY.encode())
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_a_misspelt_path_is_refused_not_read_as_empty(export: Path, tmp_path: Path) -> None:
    folder = tmp_path / "fhir"
    shutil.copytree(FHIR, folder)
    (tmp_path / "queries").mkdir()
    shutil.copy(REPO / "queries" / "fhir_conditions_by_gender.sql", tmp_path / "queries")
    catalog = (folder / "catalog.toml").read_text().replace('path = "birthDate"', 'path = "birthdate"')
    (folder / "catalog.toml").write_text(catalog)
    (folder / "request.toml").write_text((folder / "request.toml").read_text().replace("../../queries/", "../queries/"))
    with pytest.raises(ExtractorError, match="no line has birthdate"):
        run_extract(load_config(folder / "request.toml", export), tmp_path / "out", TEST_KEY.encode())


def test_a_condition_of_a_patient_the_export_lacks_is_named_to_the_dpo(export: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(export, data)
    patients = _lines(data / "Patient.ndjson")
    cited = {c["subject"]["reference"].split("/")[1] for c in _lines(data / "Condition.ndjson")}
    dropped = next(p for p in patients if p["id"] in cited)
    (data / "Patient.ndjson").write_text("".join(json.dumps(p) + "\n" for p in patients if p is not dropped))
    n = sum(c["subject"]["reference"].endswith(dropped["id"]) for c in _lines(data / "Condition.ndjson"))
    result = run_extract(load_config(FHIR / "request.toml", data), tmp_path / "out", TEST_KEY.encode())
    said = [str(w) for w in result.eligibility.warnings]
    assert any(f"Condition.ndjson: {n} rows name a Patient (subject.reference) that Patient.ndjson does not hold"
               in w for w in said), said


def test_try_writes_dummy_resources_and_reads_them_through_the_same_code(tmp_path: Path) -> None:
    from extractor.researcher.try_run import dummy_for

    dummy_for(FHIR / "request.toml", tmp_path, 500, 1)
    condition = _lines(tmp_path / "Condition.ndjson")[0]
    assert condition["resourceType"] == "Condition" and condition["subject"]["reference"].startswith("Patient/")
    assert isinstance(condition["code"]["coding"], list) and "code" in condition["code"]["coding"][0]
    cfg = load_config(FHIR / "request.toml", tmp_path)
    from extractor.researcher.dummy_sources import on_dummy_files

    con = duckdb.connect()
    register_sources(con, on_dummy_files(cfg.catalog, tmp_path))
    joined = con.execute("SELECT count(*) FROM raw.condition c JOIN raw.patient p USING (patient_id)").fetchall()[0][0]
    assert joined > 0
    assert con.execute("SELECT count(*) FROM raw.register_opt_out").fetchall()[0][0] > 0


def test_document_reference_notes_are_decoded_then_de_identified(export: Path, tmp_path: Path) -> None:
    result = run_extract(load_config(FHIR / "notes_request.toml", export), tmp_path, TEST_KEY.encode())
    assert check_release(result.release_dir).passed
    released = (result.release_dir / "visit_notes.csv").read_text()
    spans = pl.read_parquet(export / "note_spans.parquet")
    import base64

    notes = {d["id"]: base64.b64decode(d["content"][0]["attachment"]["data"]).decode()
             for d in _lines(export / "DocumentReference.ndjson")}
    values = [notes[i][s["start"]:s["end"]] for i, found in spans.iter_rows() for s in found or []]
    assert len(values) > 30 and [v for v in values if v in released] == []
    assert "Dummy" not in released and released.count("\n") > 200  # the notes themselves came through


def test_an_attachment_that_is_not_base64_is_one_line(export: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(export, data)
    rows = _lines(data / "DocumentReference.ndjson")
    rows[2]["content"][0]["attachment"]["data"] = "not base64 at all!"
    (data / "DocumentReference.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows))
    expected = r"DocumentReference.ndjson:3: column note \(content\[0\].attachment.data\): expected base64 of UTF-8"
    with pytest.raises(ExtractorError, match=expected):
        run_extract(load_config(FHIR / "notes_request.toml", data), tmp_path / "out", TEST_KEY.encode())


def _catalog_variant(tmp_path: Path, old: str, new: str) -> Path:
    """The example's catalog and request in tmp_path with one edit to the catalog; the request's path."""
    folder = tmp_path / "fhir"
    shutil.copytree(FHIR, folder)
    (tmp_path / "queries").mkdir(exist_ok=True)
    shutil.copy(REPO / "queries" / "fhir_conditions_by_gender.sql", tmp_path / "queries")
    text = (folder / "catalog.toml").read_text()
    assert old in text
    (folder / "catalog.toml").write_text(text.replace(old, new, 1))
    (folder / "request.toml").write_text((folder / "request.toml").read_text().replace("../../queries/", "../queries/"))
    return folder / "request.toml"


def test_every_document_key_of_a_table_meets_the_bans(export: Path, tmp_path: Path) -> None:
    """An Observation's own id as a second document key (to join DiagnosticReport.result): bans by encounter
    still leave out the observations made at the banned encounters."""
    second = 'observation_id = { role = "document_key", path = "id" }\n'
    request = _catalog_variant(tmp_path, "[tables.observation.columns]\n", "[tables.observation.columns]\n" + second)
    result = run_extract(load_config(request, export), tmp_path / "out", TEST_KEY.encode())
    ledger = {(r.table, r.rule): r.rows for r in result.eligibility.ledger}
    _, bans = reference_choices(_lines(export / "Consent.ndjson"))
    banned = {(p, t) for p, s, t, start, until, _ in bans if s == "document"}
    opted = {p for p, *_ in reference_choices(_lines(export / "Consent.ndjson"))[0]}
    expected = sum(1 for o in _lines(export / "Observation.ndjson")
                   if (o["subject"]["reference"].split("/")[1], o["encounter"]["reference"]) in banned
                   and o["subject"]["reference"].split("/")[1] not in opted)
    assert expected > 0 and ledger[("observation", "disclosure_ban_document")] == expected


@pytest.mark.parametrize(("old", "new"), [
    ('patient_id = { role = "person_key", path = "id"', 'patient_id = { role = "other", path = "id"'),
    ('[tables.condition.columns]\n', '[tables.condition.columns]\nsubj = { role = "other", path = "subject.reference", '
                                     'reference = "Patient" }\n'),
])
def test_a_patient_id_in_a_column_that_is_not_the_person_key_is_refused(export: Path, tmp_path: Path, old: str,
                                                                         new: str) -> None:
    request = _catalog_variant(tmp_path, old, new)
    with pytest.raises(ExtractorError, match="role person_key \\(or direct_identifier\\): it holds a Patient's id"):
        load_config(request, export)


def test_a_broken_line_is_named_by_the_line_an_editor_shows(export: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(export, data)
    lines = (data / "Condition.ndjson").read_text().splitlines()
    lines[3:3] = ["", "   "]  # blank lines count as lines (now 4 and 5)
    lines[6] = lines[6][:40]  # line 7: cut short
    (data / "Condition.ndjson").write_text("\r\n".join(lines) + "\r\n")
    with pytest.raises(ExtractorError, match=r"Condition.ndjson:7: expected one JSON resource per line, got a line"):
        run_extract(load_config(FHIR / "request.toml", data), tmp_path / "out", TEST_KEY.encode())


def test_an_integer_is_whole_and_a_timestamp_keeps_its_zone(tmp_path: Path) -> None:
    """5.5 in an integer column is refused, not rounded to 6; 23:30 at -05:00 is 04:30 the next day in UTC."""
    (tmp_path / "Observation.ndjson").write_text(
        json.dumps({"resourceType": "Observation", "subject": {"reference": "Patient/p1"}, "n": 5,
                    "at": "2026-06-01T23:30:00-05:00"}) + "\n")
    (tmp_path / "catalog.toml").write_text(
        '[catalog]\nname = "x"\n[tables.obs]\npath = "Observation.ndjson"\nresource = "Observation"\n'
        '[tables.obs.columns]\np = { role = "person_key", path = "subject.reference", reference = "Patient" }\n'
        'n = { role = "other", type = "integer" }\nat = { role = "date", type = "timestamp" }\n')
    con = duckdb.connect()
    register_sources(con, load_catalog(tmp_path / "catalog.toml"))
    assert con.execute("SELECT n, CAST(\"at\" AS VARCHAR) FROM raw.obs").fetchall() == [(5, "2026-06-02 04:30:00")]
    text = (tmp_path / "Observation.ndjson").read_text().replace('"n": 5', '"n": 5.5')
    (tmp_path / "Observation.ndjson").write_text(text)
    with pytest.raises(ExtractorError, match=r"Observation.ndjson:1: column n: expected an integer, got '5.5'"):
        register_sources(duckdb.connect(), load_catalog(tmp_path / "catalog.toml"))


def test_a_versioned_reference_beside_a_bad_attachment_names_the_attachment(export: Path, tmp_path: Path) -> None:
    """The line's fault is named, not a valid reference on the same line (Patient/x/_history/2 is valid)."""
    data = tmp_path / "data"
    shutil.copytree(export, data)
    rows = _lines(data / "DocumentReference.ndjson")
    rows[1]["subject"]["reference"] += "/_history/2"
    rows[1]["content"][0]["attachment"]["data"] = "not base64 at all!"
    (data / "DocumentReference.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ExtractorError, match=r"DocumentReference.ndjson:2: column note .*expected base64"):
        run_extract(load_config(FHIR / "notes_request.toml", data), tmp_path / "out", TEST_KEY.encode())
