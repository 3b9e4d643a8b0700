-- OMOP: drug exposures by ingredient (RxNorm ingredient ancestors of each drug product) and gender, in the
-- year the exposure began. One row per person and cell (the unit is the person): the extractor builds the
-- table with its margins, applies the threshold and dominance rules and audits the suppression.
-- Output: ingredient, gender, person_id, exposures.
SELECT
    i.concept_name AS ingredient,
    CASE p.gender_concept_id WHEN 8507 THEN 'male' WHEN 8532 THEN 'female' ELSE 'unknown' END AS gender,
    d.person_id,
    count(*) AS exposures
FROM drug_exposure d
JOIN concept_ancestor a ON a.descendant_concept_id = d.drug_concept_id
JOIN concept i ON i.concept_id = a.ancestor_concept_id AND i.concept_class_id = 'Ingredient'
JOIN person p USING (person_id)
GROUP BY ALL
