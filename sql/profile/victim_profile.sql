-- The victim profile: distinct victims of incidents reported in the period at the chosen level and unit,
-- counted by ethnicity (ONS 5+1), sex, age band and disability.
-- Parameters: $period_start, $period_end (timestamps, the end exclusive), $forces, $level ('force' | 'division' | 'csp'),
-- $unit_code (the force, division or CSP code; NULL at force level = every incident loaded).
-- A victim seen more than once in the period is described by their latest incident that records the
-- attribute (ties on reported_at broken by incident_id), so one person counts once per attribute; a
-- victim with no known value is 'not_known' (for ethnicity this includes the contract's 'not_stated').
-- Reads fact_incidents, whose age_band column is the one home of the bands.
WITH in_scope AS (
    SELECT
        i.incident_id,
        i.victim_id,
        i.reported_at,
        CASE WHEN i.victim_ethnicity <> 'not_stated' THEN i.victim_ethnicity END AS ethnicity,
        CASE WHEN i.victim_sex <> 'not_known' THEN i.victim_sex END               AS sex,
        i.age_band,
        CASE WHEN i.victim_disability <> 'not_known' THEN i.victim_disability END AS disability
    FROM fact_incidents AS i
    WHERE i.reported_at >= $period_start AND i.reported_at < $period_end
      AND i.force_code IN (SELECT unnest($forces))
      AND ($unit_code IS NULL
           OR CASE $level WHEN 'division' THEN i.division_code WHEN 'csp' THEN i.csp_code ELSE i.force_code END
              = $unit_code)
),
victims AS (
    SELECT
        victim_id,
        arg_max(ethnicity, (reported_at, incident_id)) FILTER (WHERE ethnicity IS NOT NULL)   AS ethnicity,
        arg_max(sex, (reported_at, incident_id)) FILTER (WHERE sex IS NOT NULL)               AS sex,
        arg_max(age_band, (reported_at, incident_id)) FILTER (WHERE age_band <> 'not_known')  AS age_band,
        arg_max(disability, (reported_at, incident_id)) FILTER (WHERE disability IS NOT NULL) AS disability
    FROM in_scope
    GROUP BY victim_id
),
described AS (
    SELECT
        coalesce(ethnicity, 'not_known')  AS ethnicity,
        coalesce(sex, 'not_known')        AS sex,
        coalesce(age_band, 'not_known')   AS age_band,
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
