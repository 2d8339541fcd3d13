-- The case-linked attrition cohort: one row per crime recorded in the period (by crime_recorded_at) at the
-- chosen level and unit, with the stages it reached and the days from report to each.
-- Parameters: $period_from, $period_to (dates, inclusive), $level ('force' | 'division' | 'csp'),
-- $unit_code (NULL = every unit at that level, i.e. the whole force).
-- Stages, in funnel order: suspect identified; arrest (an arrest row linked by incident_id, first one
-- counts); charge or summons (outcome type 1 or 1A, dated by outcome_at); CPS charge decision
-- (cps_decision = 'charge'); conviction (court_result = 'convicted').
WITH first_arrest AS (
    SELECT incident_id, min(arrested_at) AS first_arrested_at
    FROM arrests
    WHERE incident_id IS NOT NULL
    GROUP BY incident_id
),
crimes AS (
    SELECT
        i.incident_id,
        i.crime_ref,
        i.victim_id,
        i.suspect_id,
        i.division_code,
        i.csp_code,
        i.offence_code,
        i.reported_at,
        i.crime_recorded_at,
        i.outcome_type,
        i.outcome_at,
        i.suspect_id IS NOT NULL                        AS suspect_identified,
        a.first_arrested_at IS NOT NULL                 AS arrested,
        coalesce(i.outcome_type IN ('1', '1A'), FALSE)  AS charged,
        coalesce(i.cps_decision = 'charge', FALSE)      AS cps_charge,
        coalesce(i.court_result = 'convicted', FALSE)   AS convicted,
        a.first_arrested_at                             AS arrested_at,
        CASE WHEN i.outcome_type IN ('1', '1A') THEN i.outcome_at END         AS charged_at,
        CASE WHEN i.cps_decision = 'charge' THEN i.cps_decision_at END        AS cps_charge_at,
        CASE WHEN i.court_result = 'convicted' THEN i.court_result_at END     AS convicted_at
    FROM incidents AS i
    LEFT JOIN first_arrest AS a USING (incident_id)
    WHERE i.crime_ref IS NOT NULL
      AND i.crime_recorded_at >= CAST($period_from AS TIMESTAMP)
      AND i.crime_recorded_at < CAST($period_to AS TIMESTAMP) + INTERVAL 1 DAY  -- the whole last day
      AND (
            $level = 'force'
         OR $unit_code IS NULL
         OR ($level = 'division' AND i.division_code = $unit_code)
         OR ($level = 'csp' AND i.csp_code = $unit_code)
      )
)
SELECT
    c.*,
    -- The furthest stage reached, in funnel order, and the next one (where the case was lost).
    CASE
        WHEN c.convicted THEN 'conviction'
        WHEN c.cps_charge THEN 'cps_charge'
        WHEN c.charged THEN 'charge'
        WHEN c.arrested THEN 'arrest'
        WHEN c.suspect_identified THEN 'suspect_identified'
        ELSE 'recorded'
    END AS stage_reached,
    CASE
        WHEN c.convicted THEN NULL
        WHEN c.cps_charge THEN 'conviction'
        WHEN c.charged THEN 'cps_charge'
        WHEN c.arrested THEN 'charge'
        WHEN c.suspect_identified THEN 'arrest'
        ELSE 'suspect_identified'
    END AS stage_lost,
    date_diff('second', c.reported_at, c.arrested_at) / 86400.0     AS days_to_arrest,
    date_diff('second', c.reported_at, c.charged_at) / 86400.0      AS days_to_charge,
    date_diff('second', c.reported_at, c.cps_charge_at) / 86400.0   AS days_to_cps_charge,
    date_diff('second', c.reported_at, c.convicted_at) / 86400.0    AS days_to_conviction
FROM crimes AS c
