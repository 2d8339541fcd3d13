-- A family's counts at the grain of force, division and CSP (family_rows, registered by
-- metrics/compute.py) summed to the units of $level. Every count is additive (each record, and each
-- person of a distinct-person metric, sits in exactly one force / division / CSP), so a level's units
-- sum to the force. A record with no unit at the level (an arrest with no incident at CSP level, a
-- MARAC case whose CSP has no division) counts at force level only.
SELECT
    unit_at($level, force_code, division_code, csp_code) AS unit_code,
    month,
    breakdown,
    breakdown_value,
    sum(COLUMNS('__(num|den)$'))
FROM family_rows
WHERE unit_at($level, force_code, division_code, csp_code) IS NOT NULL
GROUP BY ALL
