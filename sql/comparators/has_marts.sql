-- Whether the comparator marts exist (a database built before them has none until its marts are rebuilt).
SELECT count(*) = 3
FROM duckdb_tables()
WHERE table_name IN ('mart_comparators', 'mart_msg', 'mart_record_spans') AND database_name = current_database()
