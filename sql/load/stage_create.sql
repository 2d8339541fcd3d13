-- The staging table for one file: shaped like the target table {table} without the load columns, plus
-- the row's 1-based number in the file. Temporary, so it never reaches the database file.
-- {table} is an identifier taken from etl.schemas.TABLES, never from input; values are bound.
CREATE OR REPLACE TEMP TABLE stage AS
SELECT * EXCLUDE (_batch_id, _loaded_at), NULL::BIGINT AS _row_number
FROM {table}
WHERE false;
