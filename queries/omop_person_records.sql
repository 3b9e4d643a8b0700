-- OMOP: one row per person with a condition record: age on the as-of date, gender and race (quasi-identifiers,
-- generalised by the extractor until every row looks like at least k-1 others), the person's first recorded
-- condition (sensitive: at least l distinct values in every group) and how many distinct conditions they have.
-- Two conditions on the same first day: the lower concept id counts, so the answer does not depend on the
-- order an engine reads them in.
SELECT
    CAST(year(as_of_date()) - p.year_of_birth AS VARCHAR) AS age,
    CASE p.gender_concept_id WHEN 8507 THEN 'male' WHEN 8532 THEN 'female' ELSE 'unknown' END AS gender,
    CASE p.race_concept_id WHEN 8527 THEN 'white' WHEN 8516 THEN 'black' WHEN 8515 THEN 'asian' ELSE 'other' END
        AS race,
    arg_min(k.concept_name, strftime(co.condition_start_date, '%Y%m%d') || lpad(CAST(co.condition_concept_id AS VARCHAR), 12, '0'))
        AS first_condition,
    CAST(count(DISTINCT co.condition_concept_id) AS VARCHAR) AS conditions
FROM condition_occurrence co
JOIN person p USING (person_id)
JOIN concept k ON k.concept_id = co.condition_concept_id
WHERE p.year_of_birth BETWEEN 1907 AND 2026  -- ages 0–119, the span of the age hierarchy
GROUP BY p.person_id, p.year_of_birth, p.gender_concept_id, p.race_concept_id
