-- The case-linked attrition cohort: the crimes recorded in the period (by crime_recorded_at: the
-- catalogue's `crimes`) at the chosen level and unit, with the stages each reached (fact_crimes).
-- Parameters: $period_start, $period_end (timestamps, the end exclusive), $level ('force' | 'division' |
-- 'csp'), $unit_code (NULL = every unit at that level), $forces (the forces in view).
SELECT *
FROM fact_crimes
WHERE crime_recorded_at >= $period_start AND crime_recorded_at < $period_end
  AND force_code IN (SELECT unnest($forces))
  AND ($unit_code IS NULL
       OR CASE $level WHEN 'division' THEN division_code WHEN 'csp' THEN csp_code ELSE force_code END = $unit_code)
