-- The community safety partnerships that make up a unit, for its resident population.
-- Parameters: $level ('force' | 'division' | 'csp'), $unit_code (NULL at force level = every CSP loaded).
SELECT c.csp_code
FROM csps AS c
WHERE ($level = 'force' AND ($unit_code IS NULL OR c.force_code = $unit_code))
   OR ($level = 'division' AND c.division_code = $unit_code)
   OR ($level = 'csp' AND c.csp_code = $unit_code)
ORDER BY c.csp_code
