-- Rows quarantined so far leave the staging table (a row's number in the file is its rowid + 1).
DELETE FROM stage
WHERE rowid + 1 IN (
    SELECT row_number FROM quarantine WHERE batch_id = $batch_id AND source_file = $source_file
);
