-- Synthea: patients with each condition, by age band at the condition's onset and by sex.
-- Output: condition, age_band, sex, patients (distinct patients; counts go through disclosure control).
-- Groups of 7 or fewer patients are left out here: in a 107-patient sample nearly every combination is
-- that small, and a table of redacted rows still tells who exists (the extractor refuses one that is
-- mostly redacted).
SELECT
    c.DESCRIPTION AS condition,
    age_band(age_at(p.BIRTHDATE, c.START), 20, 80) AS age_band,
    p.GENDER AS sex,
    count(DISTINCT p.Id) AS patients
FROM conditions c
JOIN patients p ON p.Id = c.PATIENT
GROUP BY ALL
HAVING count(DISTINCT p.Id) > 7
