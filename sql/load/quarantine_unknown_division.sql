-- A division code that is in no divisions reference table (this batch's or one already loaded).
INSERT INTO quarantine BY NAME
SELECT
    $batch_id AS batch_id,
    $table_name AS table_name,
    $source_file AS source_file,
    s._row_number AS row_number,
    s.{key} AS record_id,
    'unknown_division' AS rule,
    'division_code' AS column_name,
    'division_code ' || s.division_code || ' is not in the divisions reference table: add it to divisions '
        || 'or correct the code' AS message,
    to_json(s) AS row_json,
    $quarantined_at AS quarantined_at
FROM stage AS s
WHERE NOT EXISTS (SELECT 1 FROM divisions AS d WHERE d.division_code = s.division_code);
