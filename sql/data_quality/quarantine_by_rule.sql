-- Quarantined rows counted by table and rule (and the column the rule names), most frequent first,
-- with one message as an example of what the load said.
-- Every batch is a full snapshot, so a row a force has not fixed is quarantined again in each batch:
-- rows_quarantined counts the latest batch that loaded the table (what is outstanding now), and
-- records_ever counts each record once across all batches.
WITH latest AS (
    SELECT table_name, max(batch_id) AS batch_id
    FROM load_files
    GROUP BY table_name
)
SELECT
    q.table_name,
    q.rule,
    q.column_name,
    count(*) FILTER (WHERE q.batch_id = l.batch_id)                               AS rows_quarantined,
    count(DISTINCT coalesce(q.record_id, q.source_file || ':' || q.row_number))   AS records_ever,
    count(DISTINCT q.batch_id)                                                    AS batches,
    max(q.quarantined_at)                                                         AS last_quarantined_at,
    min(q.message)                                                                AS example_message
FROM quarantine AS q
LEFT JOIN latest AS l ON l.table_name = q.table_name
GROUP BY q.table_name, q.rule, q.column_name
ORDER BY rows_quarantined DESC, q.table_name, q.rule, q.column_name
