-- Upsert, step 2: new and changed records are written with this batch's id (in key order, which
-- builds the primary-key index about a third faster than file order).
INSERT INTO {table} BY NAME
SELECT s.* EXCLUDE (_row_number), $batch_id AS _batch_id, $loaded_at AS _loaded_at
FROM stage AS s
SEMI JOIN changes AS c ON {join_stage_changes}
ORDER BY {stage_keys};
