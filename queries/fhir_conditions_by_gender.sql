-- FHIR: patients with each condition (ICD-10-CM code and its display) by gender, among patients aged 18 or
-- over at onset. Output: code, condition, gender, patients (distinct patients; counts go through disclosure
-- control).
SELECT
    c.code,
    c.display AS condition,
    p.gender,
    count(DISTINCT p.patient_id) AS patients
FROM condition c
JOIN patient p USING (patient_id)
WHERE age_at(p.birth_date, c.onset) >= 18
GROUP BY ALL
