-- FHIR: progress notes (DocumentReference) with the patient's pseudonym, the day written (shifted per
-- patient) and the note as the protect stage left it (identifiers replaced by tags).
SELECT
    d.patient_id,
    d.written,
    d.note
FROM document_reference d
ORDER BY d.patient_id, d.written
