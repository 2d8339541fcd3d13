-- The audit of a loaded batch.
INSERT INTO load_batches (batch_id, source_dir, started_at, finished_at, status, message)
VALUES ($batch_id, $source_dir, $started_at, $finished_at, 'loaded', $message);
