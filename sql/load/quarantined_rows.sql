-- How many distinct rows of one file were quarantined (a row may break several rules).
SELECT count(DISTINCT row_number) AS quarantined_rows
FROM quarantine
WHERE batch_id = $batch_id AND source_file = $source_file;
