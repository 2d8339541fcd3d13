-- The forces whose incidents the database holds, with the first and last day of them (built at load).
SELECT force_code, first_day, last_day FROM mart_record_spans ORDER BY force_code
