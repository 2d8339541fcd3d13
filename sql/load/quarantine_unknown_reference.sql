-- A division or partnership code that is in no reference table of the row's force ({reference}: this
-- batch's or one already loaded). {code} is the reference table's code column; the rule is
-- unknown_division or unknown_csp.
INSERT INTO quarantine BY NAME
SELECT
    $batch_id AS batch_id,
    $table_name AS table_name,
    $source_file AS source_file,
    s.rowid + 1 AS row_number,
    s.{key} AS record_id,
    $rule AS rule,
    '{code}' AS column_name,
    '{code} ' || s.{code} || ' is not in the {reference} reference table for force ' || s.force_code
        || ': add it to {reference} or correct the code' AS message,
    {row_json} AS row_json,
    $quarantined_at AS quarantined_at
FROM stage AS s
WHERE NOT EXISTS (SELECT 1 FROM {reference} AS r WHERE r.force_code = s.force_code AND r.{code} = s.{code});
