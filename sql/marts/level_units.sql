-- The units of a level ($level: force, division or csp), with names, the force and division they belong
-- to, and populations (dim_units).
SELECT unit_code, unit_name, force_code, division_code, population, population_16plus, population_female_16plus
FROM dim_units
WHERE level = $level
ORDER BY unit_code
