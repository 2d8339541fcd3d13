-- Rows the database-level rules quarantined leave the staging table.
DELETE FROM stage
WHERE _row_number IN (
    SELECT row_number FROM quarantine WHERE batch_id = $batch_id AND source_file = $source_file
);
