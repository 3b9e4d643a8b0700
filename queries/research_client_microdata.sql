-- Research microdata: one row per living client with documents: age on the as-of date, sex, postal code,
-- language, and the service task of their latest document (sensitive). Released only after k-anonymity
-- and l-diversity (the output kind anonymised_records). Two documents on the same latest day: the higher
-- service task code counts, so that the answer does not depend on the order an engine reads them in.
SELECT
    CAST(age_at(c.birth_date, as_of_date()) AS VARCHAR) AS age,
    c.sex,
    c.postal_code,
    c.language,
    arg_max(d.service_task, CAST(d.created_on AS VARCHAR) || d.service_task) AS service_task
FROM clients c
JOIN documents d USING (client_id)
WHERE c.death_date IS NULL OR c.death_date > as_of_date()
GROUP BY c.client_id, c.birth_date, c.sex, c.postal_code, c.language
