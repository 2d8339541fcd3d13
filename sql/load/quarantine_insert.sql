-- Rows of a chunk that broke a rule (registered as `quarantined_chunk`), with the batch and file.
INSERT INTO quarantine BY NAME
SELECT
    $batch_id AS batch_id,
    $table_name AS table_name,
    $source_file AS source_file,
    row_number,
    record_id,
    rule,
    column_name,
    message,
    row_json,
    $quarantined_at AS quarantined_at
FROM quarantined_chunk;
