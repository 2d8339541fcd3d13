-- The periods the comparator mart holds figures for, newest first.
SELECT DISTINCT period_from, period_to
FROM mart_comparators
ORDER BY period_to DESC, period_from DESC
