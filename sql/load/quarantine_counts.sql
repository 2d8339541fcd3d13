-- Quarantined entries of one file by rule, and the number of distinct rows they cover.
SELECT rule, count(*) AS entries
FROM quarantine
WHERE batch_id = $batch_id AND source_file = $source_file
GROUP BY rule
ORDER BY entries DESC, rule;
