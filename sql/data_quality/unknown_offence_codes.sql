-- Offence codes carried by crimes that the offence codes reference table does not know
-- (fact_incidents.offence_group 'unknown').
SELECT
    offence_code,
    count(*)                  AS incidents,
    min(crime_recorded_at)    AS first_recorded_at,
    max(crime_recorded_at)    AS last_recorded_at
FROM fact_incidents
WHERE offence_group = 'unknown' AND force_code IN (SELECT unnest($forces))
GROUP BY offence_code
ORDER BY incidents DESC, offence_code
