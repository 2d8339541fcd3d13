-- A community safety partnership code that is in no csps reference table (this batch's or one loaded).
INSERT INTO quarantine BY NAME
SELECT
    $batch_id AS batch_id,
    $table_name AS table_name,
    $source_file AS source_file,
    s._row_number AS row_number,
    s.{key} AS record_id,
    'unknown_csp' AS rule,
    'csp_code' AS column_name,
    'csp_code ' || s.csp_code || ' is not in the csps reference table: add it to csps or correct the code'
        AS message,
    to_json(s) AS row_json,
    $quarantined_at AS quarantined_at
FROM stage AS s
WHERE NOT EXISTS (SELECT 1 FROM csps AS c WHERE c.csp_code = s.csp_code);
