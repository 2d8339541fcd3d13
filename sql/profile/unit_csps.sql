-- The community safety partnerships that make up a unit, for its resident population.
-- Parameters: $level ('force' | 'division' | 'csp'), $unit_code (NULL at force level = every partnership of
-- the forces in view), $forces.
SELECT unit_code AS csp_code
FROM dim_units
WHERE level = 'csp'
  AND force_code IN (SELECT unnest($forces))
  AND ($unit_code IS NULL
       OR CASE $level WHEN 'division' THEN division_code WHEN 'csp' THEN unit_code ELSE force_code END = $unit_code)
ORDER BY unit_code
