-- Synthea: patients with each condition, by age band at the condition's onset and by sex.
-- Output: condition, age_band, sex, patients (distinct patients; counts go through disclosure control).
SELECT
    c.DESCRIPTION AS condition,
    age_band(age_at(p.BIRTHDATE, c.START), 20, 80) AS age_band,
    p.GENDER AS sex,
    count(DISTINCT p.Id) AS patients
FROM conditions c
JOIN patients p ON p.Id = c.PATIENT
GROUP BY ALL
