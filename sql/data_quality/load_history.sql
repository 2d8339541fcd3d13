-- Every load, newest first, with its files' row counts summed.
SELECT
    b.batch_id,
    b.source_dir,
    b.started_at,
    b.finished_at,
    b.status,
    b.message,
    count(f.file_name)                        AS files,
    coalesce(sum(f.rows_read), 0)             AS rows_read,
    coalesce(sum(f.rows_inserted), 0)         AS rows_inserted,
    coalesce(sum(f.rows_updated), 0)          AS rows_updated,
    coalesce(sum(f.rows_unchanged), 0)        AS rows_unchanged,
    coalesce(sum(f.rows_quarantined), 0)      AS rows_quarantined
FROM load_batches AS b
LEFT JOIN load_files AS f USING (batch_id)
GROUP BY b.batch_id, b.source_dir, b.started_at, b.finished_at, b.status, b.message
ORDER BY b.started_at DESC, b.batch_id
