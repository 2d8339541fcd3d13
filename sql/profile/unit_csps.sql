-- The community safety partnerships that make up a unit, for its resident population.
-- Needs the marts (metrics.compute.prepare) for unit_at.
-- Parameters: $level ('force' | 'division' | 'csp'), $unit_code (NULL at force level = every CSP loaded).
SELECT c.csp_code
FROM csps AS c
WHERE ($level = 'force' AND $unit_code IS NULL)
   OR unit_at($level, c.force_code, c.division_code, c.csp_code) = $unit_code
ORDER BY c.csp_code
