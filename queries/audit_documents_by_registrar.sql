-- Audit: documents and distinct clients per registrar, service task and year the document was made.
-- Output: registrar_name, service_task, year, clients, documents (counts go through disclosure control).
SELECT
    r.registrar_name,
    d.service_task,
    CAST(year(d.created_on) AS VARCHAR) AS year,
    count(DISTINCT d.client_id) AS clients,
    count(*) AS documents
FROM documents d
JOIN registrars r USING (registrar_oid)
WHERE d.created_on >= DATE '2023-01-01'
GROUP BY ALL
