-- The divisions, for filters and the division page (dim_units).
SELECT unit_code AS division_code, unit_name AS division_name, force_code
FROM dim_units
WHERE level = 'division'
ORDER BY unit_name, unit_code
