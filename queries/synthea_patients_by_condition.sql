-- Synthea: distinct patients and condition records per condition.
-- Output: condition, patients, records (counts go through disclosure control).
SELECT
    DESCRIPTION AS condition,
    count(DISTINCT PATIENT) AS patients,
    count(*) AS records
FROM conditions
GROUP BY ALL
