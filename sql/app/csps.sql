-- Community safety partnerships with their division and populations, for filters and rates.
SELECT c.csp_code, c.csp_name, c.division_code, d.division_name,
       c.population, c.population_16plus, c.population_female_16plus
FROM csps AS c
LEFT JOIN divisions AS d USING (division_code)
ORDER BY c.csp_name, c.csp_code
