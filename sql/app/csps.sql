-- Community safety partnerships with their division and populations, for filters and rates (dim_units).
SELECT c.unit_code AS csp_code, c.unit_name AS csp_name, c.division_code, d.unit_name AS division_name,
       c.force_code, c.population, c.population_16plus, c.population_female_16plus
FROM dim_units AS c
LEFT JOIN dim_units AS d ON d.level = 'division' AND d.unit_code = c.division_code AND d.force_code = c.force_code
WHERE c.level = 'csp'
ORDER BY c.unit_name, c.unit_code
