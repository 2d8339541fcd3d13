-- Quarantined rows counted by table and rule (and the column the rule names), most frequent first,
-- with one message as an example of what the load said.
SELECT
    table_name,
    rule,
    column_name,
    count(*)                  AS rows_quarantined,
    count(DISTINCT batch_id)  AS batches,
    max(quarantined_at)       AS last_quarantined_at,
    min(message)              AS example_message
FROM quarantine
GROUP BY table_name, rule, column_name
ORDER BY rows_quarantined DESC, table_name, rule, column_name
