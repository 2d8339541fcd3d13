-- The staging table for one file: shaped like the target table {table} without the load columns, plus
-- _unreadable (the text of the cells that could not be read as their type, as JSON; null when every cell
-- was read). Rows go in in file order, so a row's rowid + 1 is its 1-based number in the file. Temporary,
-- so it never reaches the database file. {table} is an identifier taken from etl.schemas.TABLES.
CREATE OR REPLACE TEMP TABLE stage AS
SELECT * EXCLUDE (_batch_id, _loaded_at), NULL::VARCHAR AS _unreadable
FROM {table}
WHERE false;
