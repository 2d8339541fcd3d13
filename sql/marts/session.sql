-- Settings for a build: rows are written in the order a mart's ORDER BY gives them (readers filter by
-- force and date, and DuckDB skips the row groups a filter rules out).
SET preserve_insertion_order = true;
