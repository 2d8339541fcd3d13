-- The forces whose records the database holds (dim_units), with their names.
SELECT unit_code AS force_code, unit_name AS force_name FROM dim_units WHERE level = 'force' ORDER BY unit_code
