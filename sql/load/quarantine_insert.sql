-- Rows of the file that broke a rule of its schema or could not be read (registered as
-- `quarantined_rows`: row_number, column_name, rule, message), with the batch, the file, the record's id
-- and the row as staged ({row_json}).
INSERT INTO quarantine BY NAME
SELECT
    $batch_id AS batch_id,
    $table_name AS table_name,
    $source_file AS source_file,
    q.row_number,
    s.{key} AS record_id,
    q.rule,
    q.column_name,
    q.message,
    {row_json} AS row_json,
    $quarantined_at AS quarantined_at
FROM quarantined_rows AS q
JOIN stage AS s ON s.rowid + 1 = q.row_number;
