-- Case notes for a qualitative study of child-welfare work: one row per document of the service task
-- '10' created in the last year before the as-of date, with the client's pseudonym and the note as the
-- protect stage left it (identifiers replaced by tags, the client's own mentions by their pseudonym).
SELECT
    d.client_id,
    d.service_task,
    d.created_on,
    d.note
FROM documents d
WHERE d.service_task = '10'
  AND d.created_on > as_of_date() - INTERVAL 1 YEAR
ORDER BY d.client_id, d.created_on
