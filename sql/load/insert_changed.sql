-- Upsert, step 2: new and changed records are written with this batch's id.
INSERT INTO {table} BY NAME
SELECT s.* EXCLUDE (_unreadable), $batch_id AS _batch_id, $loaded_at AS _loaded_at
FROM stage AS s
SEMI JOIN changes AS c ON {join_stage_changes};
