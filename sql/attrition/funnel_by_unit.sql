-- The funnel per division or partnership ($level) of the forces in view, every unit listed even with no
-- crimes. Selects from `cohort` (attrition/cohort, with $unit_code NULL).
SELECT
    u.unit_code,
    u.unit_name,
    u.division_code,
    count(c.incident_id)                             AS recorded,
    count(*) FILTER (WHERE c.has_suspect)            AS suspect_identified,
    count(*) FILTER (WHERE c.linked_arrest)          AS arrest,
    count(*) FILTER (WHERE c.cps_referred)           AS cps_referral,
    count(*) FILTER (WHERE c.charged)                AS charge,
    count(*) FILTER (WHERE c.convicted)              AS conviction,
    count(*) FILTER (WHERE c.cps_charged)            AS cps_charged
FROM dim_units AS u
LEFT JOIN cohort AS c
       ON u.unit_code = CASE $level WHEN 'division' THEN c.division_code ELSE c.csp_code END
      AND u.force_code = c.force_code
WHERE u.level = $level AND u.force_code IN (SELECT unnest($forces))
GROUP BY u.unit_code, u.unit_name, u.division_code
ORDER BY u.unit_name, u.unit_code
