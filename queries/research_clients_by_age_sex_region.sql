-- Research: clients with at least one document in each service task, by age band on the as-of date,
-- sex and region. Output: service_task, age_band, sex, region, clients.
SELECT
    d.service_task,
    age_band(age_at(c.birth_date, as_of_date()), 20, 80) AS age_band,
    c.sex,
    c.region,
    count(DISTINCT c.client_id) AS clients
FROM clients c
JOIN documents d USING (client_id)
WHERE c.death_date IS NULL OR c.death_date > as_of_date()
GROUP BY ALL
