-- OMOP: the notes of visits since 2010, with the person's pseudonym and the note as the protect stage left
-- it (identifiers replaced by tags, the person's own mentions by their pseudonym, dates shifted).
SELECT
    n.person_id,
    n.note_date,
    n.note_text
FROM note n
WHERE n.note_date >= DATE '2010-01-01'
ORDER BY n.person_id, n.note_date
