-- The force's divisions, for filters and the division page.
SELECT division_code, division_name
FROM divisions
ORDER BY division_name, division_code
