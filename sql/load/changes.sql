-- The records this file changes: new records, and records whose values differ from the stored ones (an
-- identical record is left alone, so loading the same file twice changes nothing). A record is known by
-- its key ({keys}: the force and the record's id, ids being unique only within a force).
CREATE OR REPLACE TEMP TABLE changes AS
WITH new AS (SELECT * EXCLUDE (_unreadable) FROM stage),
old AS (SELECT * EXCLUDE (_batch_id, _loaded_at) FROM {table})
SELECT {new_keys}, o.{key} IS NULL AS is_new
FROM new AS n
LEFT JOIN old AS o ON {join_new_old}
WHERE o.{key} IS NULL OR n IS DISTINCT FROM o;
