-- Share of incidents with each optional field known, by division, for incidents reported in the period
-- ($period_from, $period_to inclusive; NULL = all time). For risk_level (never null) "known" means
-- assessed: anything but 'not_assessed'.
SELECT
    c.division_code,
    d.division_name,
    f.field,
    c.incidents,
    CASE f.field
        WHEN 'suspect_id' THEN c.suspect_id
        WHEN 'victim_sex' THEN c.victim_sex
        WHEN 'suspect_sex' THEN c.suspect_sex
        WHEN 'victim_age' THEN c.victim_age
        WHEN 'suspect_age' THEN c.suspect_age
        WHEN 'victim_ethnicity' THEN c.victim_ethnicity
        WHEN 'victim_disability' THEN c.victim_disability
        WHEN 'call_grade' THEN c.call_grade
        WHEN 'attended_at' THEN c.attended_at
        WHEN 'risk_tool' THEN c.risk_tool
        WHEN 'risk_level' THEN c.risk_assessed
        WHEN 'children_present' THEN c.children_present
        WHEN 'power_of_arrest' THEN c.power_of_arrest
        WHEN 'crime_ref' THEN c.crime_ref
    END AS known,
    f.position
FROM (
    SELECT
        division_code,
        count(*)                   AS incidents,
        count(suspect_id)          AS suspect_id,
        count(victim_sex)          AS victim_sex,
        count(suspect_sex)         AS suspect_sex,
        count(victim_age)          AS victim_age,
        count(suspect_age)         AS suspect_age,
        count(victim_ethnicity)    AS victim_ethnicity,
        count(victim_disability)   AS victim_disability,
        count(call_grade)          AS call_grade,
        count(attended_at)         AS attended_at,
        count(risk_tool)           AS risk_tool,
        count(*) FILTER (WHERE risk_level <> 'not_assessed') AS risk_assessed,
        count(children_present)    AS children_present,
        count(power_of_arrest)     AS power_of_arrest,
        count(crime_ref)           AS crime_ref
    FROM fact_incidents
    WHERE ($period_from IS NULL OR CAST(reported_at AS DATE) >= CAST($period_from AS DATE))
      AND ($period_to IS NULL OR CAST(reported_at AS DATE) <= CAST($period_to AS DATE))
      AND force_code IN (SELECT unnest($forces))
    GROUP BY division_code
) AS c
CROSS JOIN (
    VALUES
        ('suspect_id', 1), ('victim_sex', 2), ('suspect_sex', 3), ('victim_age', 4), ('suspect_age', 5),
        ('victim_ethnicity', 6), ('victim_disability', 7), ('call_grade', 8), ('attended_at', 9),
        ('risk_tool', 10), ('risk_level', 11), ('children_present', 12), ('power_of_arrest', 13),
        ('crime_ref', 14)
) AS f(field, position)
LEFT JOIN (SELECT unit_code AS division_code, unit_name AS division_name FROM dim_units WHERE level = 'division')
    AS d USING (division_code)
ORDER BY c.division_code, f.position
