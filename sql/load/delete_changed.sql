-- Upsert, step 1: the stored versions of changed records go (records absent from the file stay).
DELETE FROM {table} AS t
USING changes AS c
WHERE NOT c.is_new AND {join_table_changes};
