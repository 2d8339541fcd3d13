-- The units of a level, with names and populations (see level_units in facts.sql).
SELECT * FROM level_units($level) ORDER BY unit_code
