-- How many of the named tables the database holds (a database built before a mart has none of it until its
-- marts are rebuilt).
SELECT count(*)
FROM duckdb_tables()
WHERE table_name IN (SELECT unnest($names)) AND database_name = current_database()
