-- Each force's number of incidents, in force-code order: etl.marts groups forces by it to build the
-- incident facts a group at a time.
SELECT force_code, count(*) AS incidents
FROM incidents
GROUP BY force_code
ORDER BY force_code
