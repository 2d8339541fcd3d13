-- Into a table that holds no record yet, every staged row is new: written without comparing (the
-- upsert's result, without its join).
INSERT INTO {table} BY NAME
SELECT * EXCLUDE (_unreadable), $batch_id AS _batch_id, $loaded_at AS _loaded_at
FROM stage;
