-- The units of every level with their names, the force (and division) they belong to, and populations:
-- a partnership's from the csps reference table, a division's and a force's the sums of their
-- partnerships' (unknown when any partnership's is unknown). Forces are named from the ONS lookup the
-- product ships (ref_forces), else by their code. A level's units are what its filters offer and what
-- every population rate divides by.
CREATE OR REPLACE TABLE dim_units AS
WITH csp_populations AS (
    SELECT force_code, division_code, csp_code, population, population_16plus, population_female_16plus
    FROM csps
), force_codes AS (
    -- Every force with reference tables or records (a force's records may arrive before its references).
    SELECT force_code FROM divisions UNION SELECT force_code FROM csps
    UNION SELECT force_code FROM incidents UNION SELECT force_code FROM arrests
    UNION SELECT force_code FROM protective_orders UNION SELECT force_code FROM dvds
    UNION SELECT force_code FROM marac
), rolled AS (
    SELECT
        CASE WHEN grouping(division_code) = 1 THEN 'force' ELSE 'division' END AS level,
        force_code,
        division_code,
        CASE WHEN count(population) = count(*) THEN sum(population) END AS population,
        CASE WHEN count(population_16plus) = count(*) THEN sum(population_16plus) END AS population_16plus,
        CASE WHEN count(population_female_16plus) = count(*) THEN sum(population_female_16plus) END
            AS population_female_16plus
    FROM csp_populations
    GROUP BY GROUPING SETS ((force_code), (force_code, division_code))
)
SELECT 'force' AS level, f.force_code AS unit_code, coalesce(r.force_name, f.force_code) AS unit_name,
       f.force_code, NULL::VARCHAR AS division_code,
       p.population, p.population_16plus, p.population_female_16plus
FROM force_codes AS f
LEFT JOIN ref_forces AS r USING (force_code)
LEFT JOIN rolled AS p ON p.level = 'force' AND p.force_code = f.force_code
UNION ALL
SELECT 'division', d.division_code, d.division_name, d.force_code, d.division_code,
       p.population, p.population_16plus, p.population_female_16plus
FROM divisions AS d
LEFT JOIN rolled AS p ON p.level = 'division' AND p.force_code = d.force_code AND p.division_code = d.division_code
UNION ALL
SELECT 'csp', c.csp_code, c.csp_name, c.force_code, c.division_code,
       c.population, c.population_16plus, c.population_female_16plus
FROM csps AS c
ORDER BY 1, 4, 2;
