-- OMOP: persons with each condition (standard concept), by ten-year band of year of birth and by gender.
-- Output: condition_concept_id, condition, birth_years, gender, persons (distinct persons; counts go through
-- disclosure control). Conditions seen in fewer than 50 persons are left out: their rows would be
-- mostly suppressed cells.
WITH cohort AS (
    SELECT DISTINCT co.person_id, co.condition_concept_id
    FROM condition_occurrence co
),
common AS (
    SELECT condition_concept_id FROM cohort GROUP BY 1 HAVING count(*) >= 50
)
SELECT
    c.condition_concept_id,
    k.concept_name AS condition,
    CAST(p.year_of_birth // 20 * 20 AS VARCHAR) || '–' || CAST(p.year_of_birth // 20 * 20 + 19 AS VARCHAR) AS birth_years,
    CASE p.gender_concept_id WHEN 8507 THEN 'male' WHEN 8532 THEN 'female' ELSE 'unknown' END AS gender,
    count(DISTINCT c.person_id) AS persons
FROM cohort c
JOIN common USING (condition_concept_id)
JOIN person p USING (person_id)
JOIN concept k ON k.concept_id = c.condition_concept_id
GROUP BY ALL
