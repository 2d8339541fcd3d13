-- The funnel per division or CSP ($level), every unit listed even with no crimes.
-- Selects from `cohort` (attrition/cohort, with $unit_code NULL).
SELECT
    u.unit_code,
    u.unit_name,
    count(c.incident_id)                             AS recorded,
    count(*) FILTER (WHERE c.suspect_identified)     AS suspect_identified,
    count(*) FILTER (WHERE c.arrested)               AS arrest,
    count(*) FILTER (WHERE c.charged)                AS charge,
    count(*) FILTER (WHERE c.cps_charge)             AS cps_charge,
    count(*) FILTER (WHERE c.convicted)              AS conviction
FROM (
    SELECT division_code AS unit_code, division_name AS unit_name FROM divisions WHERE $level = 'division'
    UNION ALL
    SELECT csp_code, csp_name FROM csps WHERE $level = 'csp'
) AS u
LEFT JOIN cohort AS c
       ON u.unit_code = CASE $level WHEN 'division' THEN c.division_code ELSE c.csp_code END
GROUP BY u.unit_code, u.unit_name
ORDER BY u.unit_code
