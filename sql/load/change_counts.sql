-- Rows staged, new records and changed records of one file (unchanged = staged - new - changed).
SELECT
    (SELECT count(*) FROM stage) AS staged,
    count(*) FILTER (WHERE is_new) AS inserted,
    count(*) FILTER (WHERE NOT is_new) AS updated
FROM changes;
