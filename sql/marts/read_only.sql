-- Whether the database the metric queries read is read-only: its data cannot change under this
-- connection, so the data fingerprint is computed once per connection, not once per call.
SELECT coalesce(any_value(readonly), false) AS read_only
FROM duckdb_databases()
WHERE database_name = current_database()
