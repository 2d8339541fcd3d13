-- The benchmark's baseline: one hand-written DuckDB query of the headline counts per force over a period,
-- straight from the loaded extract tables (no marts), with the repeat-victim window over all incidents.
-- It is what an analyst would write for the force-level headline; `make bench` times the registry's
-- compute of every metric for every unit beside it. Parameters: $period_from, $period_to (dates, inclusive).
WITH flagged AS (
    SELECT
        force_code,
        reported_at,
        crime_ref,
        crime_recorded_at,
        outcome_type,
        outcome_at,
        risk_level,
        power_of_arrest,
        -- a repeat victim: the same victim had an earlier incident in this force within the 365 days before
        lag(reported_at) OVER (PARTITION BY force_code, victim_id ORDER BY reported_at)
            >= reported_at - INTERVAL 365 DAY AS repeat_victim
    FROM incidents
),
incident_counts AS (
    SELECT
        force_code,
        count(*) FILTER (WHERE reported_at::DATE BETWEEN $period_from AND $period_to) AS incidents,
        count(*) FILTER (WHERE reported_at::DATE BETWEEN $period_from AND $period_to AND repeat_victim)
            AS repeat_victim_incidents,
        count(*) FILTER (WHERE reported_at::DATE BETWEEN $period_from AND $period_to AND risk_level = 'high')
            AS high_risk_incidents,
        count(*) FILTER (WHERE reported_at::DATE BETWEEN $period_from AND $period_to AND power_of_arrest)
            AS power_of_arrest_incidents,
        count(*) FILTER (WHERE crime_ref IS NOT NULL
                           AND crime_recorded_at::DATE BETWEEN $period_from AND $period_to) AS crimes,
        count(*) FILTER (WHERE outcome_type IN ('1', '1A') AND outcome_at::DATE BETWEEN $period_from AND $period_to)
            AS charged,
        count(*) FILTER (WHERE outcome_type IS NOT NULL AND outcome_at::DATE BETWEEN $period_from AND $period_to)
            AS outcomes
    FROM flagged
    GROUP BY force_code
),
arrest_counts AS (
    SELECT force_code, count(*) AS arrests
    FROM arrests
    WHERE arrested_at::DATE BETWEEN $period_from AND $period_to
    GROUP BY force_code
)
SELECT i.*, coalesce(a.arrests, 0) AS arrests
FROM incident_counts AS i
LEFT JOIN arrest_counts AS a USING (force_code)
ORDER BY force_code
