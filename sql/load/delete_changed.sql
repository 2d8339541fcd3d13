-- Upsert, step 1: the stored versions of changed records go (records absent from the file stay).
DELETE FROM {table}
WHERE {key} IN (SELECT record_id FROM changes WHERE NOT is_new);
