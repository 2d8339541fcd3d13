-- The records this file changes: new record ids, and records whose values differ from the stored ones
-- (an identical record is left alone, so loading the same file twice changes nothing).
CREATE OR REPLACE TEMP TABLE changes AS
WITH new AS (SELECT * EXCLUDE (_row_number) FROM stage),
old AS (SELECT * EXCLUDE (_batch_id, _loaded_at) FROM {table})
SELECT n.{key} AS record_id, o.{key} IS NULL AS is_new
FROM new AS n
LEFT JOIN old AS o ON n.{key} = o.{key}
WHERE o.{key} IS NULL OR n IS DISTINCT FROM o;
