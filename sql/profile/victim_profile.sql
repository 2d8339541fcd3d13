-- The victim profile: distinct victims of incidents reported in the period at the chosen level and unit,
-- counted by ethnicity (ONS 5+1), sex, age band and disability.
-- Parameters: $period_from, $period_to (dates, inclusive), $level ('force' | 'division' | 'csp'),
-- $unit_code (the force, division or CSP code; NULL at force level = every incident loaded).
-- A victim seen more than once in the period is described by their latest incident that records the
-- attribute (ties on reported_at broken by incident_id), so one person counts once per attribute; a
-- victim with no known value is 'not_known' (for ethnicity this includes the contract's 'not_stated').
-- Needs the marts (metrics.compute.prepare): in_period, unit_at and age_band live there, once.
WITH in_scope AS (
    SELECT
        i.incident_id,
        i.victim_id,
        i.reported_at,
        CASE WHEN i.victim_ethnicity <> 'not_stated' THEN i.victim_ethnicity END AS ethnicity,
        CASE WHEN i.victim_sex <> 'not_known' THEN i.victim_sex END               AS sex,
        i.victim_age                                                                AS age,
        CASE WHEN i.victim_disability <> 'not_known' THEN i.victim_disability END AS disability
    FROM incidents AS i
    WHERE in_period(i.reported_at, $period_from, $period_to)
      AND (($level = 'force' AND $unit_code IS NULL)
           OR unit_at($level, i.force_code, i.division_code, i.csp_code) = $unit_code)
),
victims AS (
    SELECT
        victim_id,
        arg_max(ethnicity, (reported_at, incident_id)) FILTER (WHERE ethnicity IS NOT NULL)   AS ethnicity,
        arg_max(sex, (reported_at, incident_id)) FILTER (WHERE sex IS NOT NULL)               AS sex,
        arg_max(age, (reported_at, incident_id)) FILTER (WHERE age IS NOT NULL)               AS age,
        arg_max(disability, (reported_at, incident_id)) FILTER (WHERE disability IS NOT NULL) AS disability
    FROM in_scope
    GROUP BY victim_id
),
described AS (
    SELECT
        coalesce(ethnicity, 'not_known')  AS ethnicity,
        coalesce(sex, 'not_known')        AS sex,
        age_band(age)                     AS age_band,
        coalesce(disability, 'not_known') AS disability
    FROM victims
)
SELECT 'victim_ethnicity' AS attribute, ethnicity AS category, count(*) AS victims FROM described GROUP BY ethnicity
UNION ALL
SELECT 'victim_sex', sex, count(*) FROM described GROUP BY sex
UNION ALL
SELECT 'age_band', age_band, count(*) FROM described GROUP BY age_band
UNION ALL
SELECT 'victim_disability', disability, count(*) FROM described GROUP BY disability
