-- The files of one batch ($batch_id), or of every batch when it is NULL, newest batch first.
SELECT
    f.batch_id,
    b.started_at,
    f.table_name,
    f.file_name,
    f.sha256,
    f.rows_read,
    f.rows_inserted,
    f.rows_updated,
    f.rows_unchanged,
    f.rows_quarantined
FROM load_files AS f
JOIN load_batches AS b USING (batch_id)
WHERE $batch_id IS NULL OR f.batch_id = $batch_id
ORDER BY b.started_at DESC, f.batch_id, f.table_name, f.file_name
