-- Offence codes carried by incidents that the offence_codes reference table does not know.
SELECT
    i.offence_code,
    count(*)                  AS incidents,
    min(i.crime_recorded_at)  AS first_recorded_at,
    max(i.crime_recorded_at)  AS last_recorded_at
FROM incidents AS i
WHERE i.offence_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM offence_codes AS o WHERE o.offence_code = i.offence_code)
GROUP BY i.offence_code
ORDER BY incidents DESC, i.offence_code
