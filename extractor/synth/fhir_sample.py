"""The FHIR example's data: a bulk export of synthetic US Core patients (the carebundle package, Apache-2.0)
with what carebundle does not write: Consent resources, a Procedure at some encounters, and a
DocumentReference per encounter whose note
(base64 in content[0].attachment.data, as FHIR carries it) is a synthetic Finnish or Swedish note by
synth/notes.py about a synthetic identity given to the patient; its identifiers' spans are kept in
note_spans.parquet (document id, spans) for scoring, never catalogued.

Consents are drawn for a share of the patients, seeded, in the shapes a controller's system writes: research
opt-outs (a deny with no target), some with a research purpose, some withdrawn (status inactive) or ended (a
period end); bans of one encounter (a deny naming it in `data`) and of an organisation (a deny naming it
among the actors), some nested in a permit; a few given by a related person; a few drafts and rejected ones,
which were never in force.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import polars as pl

from extractor.errors import ExtractorError
from extractor.synth import notes as synth_notes
from extractor.synth import people

SCOPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "research"}]}
PRIVACY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]}
RESEARCH = [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HRESCH"}]
ORGANISATION = "1.2.246.10.99.1"


def write_sample(out: Path, patients: int = 300, seed: int = 2026) -> dict[str, int]:
    """Write one NDJSON file per resource type into `out`; the same seed gives the same files."""
    try:
        from carebundle import generate_cohort, to_ndjson
    except ModuleNotFoundError:
        raise ExtractorError("the FHIR sample needs the carebundle package: pip install 'extractor[samples]'") from None
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for resource, text in sorted(to_ndjson(generate_cohort(count=patients, seed=seed)).items()):
        (out / f"{resource}.ndjson").write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        counts[resource] = text.count("\n") or 1
    patient_ids = [json.loads(line)["id"] for line in (out / "Patient.ndjson").read_text().splitlines()]
    encounters = {}
    for line in (out / "Encounter.ndjson").read_text().splitlines():
        resource = json.loads(line)
        encounters.setdefault(resource["subject"]["reference"].split("/")[-1], []).append(resource["id"])
    rng = np.random.default_rng(seed)
    consents = consents_for(rng, patient_ids, encounters)
    (out / "Consent.ndjson").write_text("".join(json.dumps(c, sort_keys=True) + "\n" for c in consents))
    counts["Consent"] = len(consents)
    procedures = _procedures(rng, encounters)
    (out / "Procedure.ndjson").write_text("".join(json.dumps(r) + "\n" for r in procedures))
    counts["Procedure"] = len(procedures)
    documents = _documents(rng, patient_ids, encounters)
    (out / "DocumentReference.ndjson").write_text("".join(json.dumps(d) + "\n" for d in documents["resource"]))
    documents.select("id", "note_spans").write_parquet(out / "note_spans.parquet")
    counts["DocumentReference"] = documents.height
    return counts


PROCEDURES = (("73761001", "Colonoscopy"), ("80146002", "Appendectomy"), ("232717009", "Coronary artery bypass"),
              ("18286008", "Catheter ablation of heart"), ("71651007", "Mammography"), ("274804006", "Spirometry"))


def _procedures(rng: np.random.Generator, encounters: dict[str, list[str]]) -> list[dict]:
    """A SNOMED CT procedure at about two encounters in five (carebundle writes none)."""
    out = []
    for patient, visits in sorted(encounters.items()):
        for visit in visits:
            if rng.random() < 0.4:
                code, name = PROCEDURES[int(rng.integers(0, len(PROCEDURES)))]
                out.append({"resourceType": "Procedure", "id": f"proc-{visit}", "status": "completed",
                            "code": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": name}]},
                            "subject": {"reference": f"Patient/{patient}"},
                            "encounter": {"reference": f"Encounter/{visit}"}, "performedDateTime": "2026-01-01"})
    return out


def _documents(rng: np.random.Generator, patients: list[str], encounters: dict[str, list[str]]) -> pl.DataFrame:
    """A progress note per encounter, about its patient's synthetic Finnish identity."""
    identities, _ = people.clients(rng, len(patients))
    pairs = [(p, e) for p in patients for e in encounters.get(p, [])]
    index = {p: i for i, p in enumerate(patients)}
    who = identities.select("hetu", "first_names", "surname", "postal_code", "municipality", "language")[
        [index[p] for p, _ in pairs]]
    written = synth_notes.notes(rng, who)
    resources = [{"resourceType": "DocumentReference", "id": f"doc-{e}", "status": "current",
                  "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}]},
                  "subject": {"reference": f"Patient/{p}"}, "date": "2026-01-01T10:00:00Z",
                  "context": {"encounter": [{"reference": f"Encounter/{e}"}]},
                  "content": [{"attachment": {"contentType": "text/plain; charset=utf-8",
                                              "data": base64.b64encode(note.encode()).decode()}}]}
                 for (p, e), note in zip(pairs, written["note"], strict=True)]
    return pl.DataFrame({"id": [r["id"] for r in resources], "resource": resources,
                         "note_spans": written["note_spans"]}, schema_overrides={"resource": pl.Object})


def consents_for(rng: np.random.Generator, patients: list[str], encounters: dict[str, list[str]]) -> list[dict]:
    """About one patient in six gets a Consent (the shapes above); one resource per chosen patient."""
    out = []
    for i, patient in enumerate(patients):  # a few hundred patients: the sample, not a pipeline stage
        draw = rng.random()
        if draw > 1 / 6:
            continue
        kind = int(rng.integers(0, 8))
        year = int(rng.integers(2019, 2026))
        consent: dict = {"resourceType": "Consent", "id": f"consent-{i}", "status": "active", "scope": SCOPE,
                         "patient": {"reference": f"Patient/{patient}"}, "dateTime": f"{year}-03-01",
                         "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}]}
        deny: dict = {"type": "deny"}
        if kind == 1:
            deny["purpose"] = RESEARCH
        elif kind == 2:
            consent["status"] = "inactive"  # withdrawn
        elif kind == 3:
            deny["period"] = {"start": f"{year}-03-01", "end": f"{year + 1}-03-01"}  # ended
        elif kind == 4 and encounters.get(patient):
            consent["scope"] = PRIVACY
            deny["data"] = [{"meaning": "instance", "reference": {"reference": f"Encounter/{encounters[patient][0]}"}}]
        elif kind == 5:
            consent["scope"] = PRIVACY
            deny["actor"] = [{"reference": {"reference": f"Organization/{ORGANISATION}"}}]
            consent["provision"] = {"type": "permit", "provision": [deny]}  # permit all but that organisation
        elif kind == 6:
            consent["performer"] = [{"reference": f"RelatedPerson/guardian-{i}"}]
        elif kind == 7:
            consent["status"] = str(rng.choice(["draft", "rejected"]))  # never in force
        consent.setdefault("provision", deny)
        out.append(consent)
    return out
