-- What the upsert will do: new record ids, changed records, identical records (left alone).
WITH new AS (SELECT * EXCLUDE (_row_number) FROM stage),
old AS (SELECT * EXCLUDE (_batch_id, _loaded_at) FROM {table})
SELECT
    count(*) FILTER (WHERE o.{key} IS NULL) AS inserted,
    count(*) FILTER (WHERE o.{key} IS NOT NULL AND n IS DISTINCT FROM o) AS updated,
    count(*) FILTER (WHERE o.{key} IS NOT NULL AND n IS NOT DISTINCT FROM o) AS unchanged
FROM new AS n
LEFT JOIN old AS o ON n.{key} = o.{key};
