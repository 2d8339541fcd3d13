-- Upsert by record id: new and changed records are written with this batch's id; identical records keep
-- the batch that last changed them; records absent from this file are kept.
INSERT OR REPLACE INTO {table} BY NAME
WITH new AS (SELECT * EXCLUDE (_row_number) FROM stage),
old AS (SELECT * EXCLUDE (_batch_id, _loaded_at) FROM {table})
SELECT n.*, $batch_id AS _batch_id, $loaded_at AS _loaded_at
FROM new AS n
LEFT JOIN old AS o ON n.{key} = o.{key}
WHERE o.{key} IS NULL OR n IS DISTINCT FROM o;
