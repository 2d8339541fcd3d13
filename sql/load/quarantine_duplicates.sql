-- A record given more than once in one file (the same {keys}): the last row wins (a later line is the
-- newer edit); the earlier rows are quarantined. A row's number in the file is its rowid + 1.
INSERT INTO quarantine BY NAME
SELECT
    $batch_id AS batch_id,
    $table_name AS table_name,
    $source_file AS source_file,
    s.rowid + 1 AS row_number,
    s.{key} AS record_id,
    'duplicate_record_id' AS rule,
    '{key}' AS column_name,
    '{key} ' || s.{key} || ' appears again later in the file (row ' || last_rows.last_row
        || '), which was loaded instead: send each record once' AS message,
    {row_json} AS row_json,
    $quarantined_at AS quarantined_at
FROM stage AS s
JOIN (SELECT {keys}, max(rowid) + 1 AS last_row FROM stage GROUP BY {keys} HAVING count(*) > 1) AS last_rows
    ON {join_stage_last}
WHERE s.rowid + 1 < last_rows.last_row;
