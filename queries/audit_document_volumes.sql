-- Audit: clients and their documents by region, service task → social service and year, 2023 onwards.
-- One row per client and cell (the unit is the client): the extractor builds the table with its
-- margins and subtotals, applies the threshold, dominance and p% rules, and audits the suppression.
SELECT
    c.region,
    d.service_task,
    d.social_service,
    CAST(year(d.created_on) AS VARCHAR) AS year,
    d.client_id,
    count(*) AS documents
FROM documents d
JOIN clients c USING (client_id)
WHERE d.created_on >= DATE '2023-01-01'
GROUP BY ALL
