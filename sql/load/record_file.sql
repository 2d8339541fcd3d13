-- The audit of one file of a batch.
INSERT INTO load_files (batch_id, table_name, file_name, sha256, rows_read, rows_inserted, rows_updated,
                        rows_unchanged, rows_quarantined)
VALUES ($batch_id, $table_name, $file_name, $sha256, $rows_read, $rows_inserted, $rows_updated,
        $rows_unchanged, $rows_quarantined);
