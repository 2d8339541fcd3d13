-- Incident metrics dated by reported_at: volume, conversion to crime, repeats, risk, MARAC referral of
-- high-risk victims, arrest where a power existed, attendance within the call grade's target.
-- Returns one row per force, division and CSP (and month, and breakdown) with <metric>__num /
-- <metric>__den columns; sql/metrics/rollup.sql sums them to the units of a level.
WITH in_period AS (
    SELECT
        f.*,
        -- The victim referred to a MARAC (any CSP's) from the incident's date to N days after.
        f.risk_level = 'high' AND EXISTS (
            SELECT 1 FROM marac AS m
            WHERE m.victim_id = f.victim_id
              AND CAST(m.referral_at AS DATE) >= CAST(f.reported_at AS DATE)
              AND CAST(m.referral_at AS DATE) <= CAST(f.reported_at AS DATE) + CAST($marac_referral_window_days AS INTEGER)
        ) AS high_risk_referred,
        EXISTS (SELECT 1 FROM arrests AS a WHERE a.incident_id = f.incident_id) AS has_arrest,
        f.attended_at IS NOT NULL AND f.call_grade IN ('emergency', 'priority') AS attended_with_target,
        f.attended_at <= f.reported_at + to_minutes(CAST(
            CASE f.call_grade WHEN 'emergency' THEN $attendance_emergency_minutes
                              WHEN 'priority' THEN $attendance_priority_minutes END AS INTEGER)) AS attended_in_target
    FROM incident_facts() AS f
    WHERE in_period(f.reported_at, $period_from, $period_to)
), placed AS (
    SELECT
        force_code, division_code, csp_code,
        month_of(reported_at, $by_month) AS month,
        unnest(breakdown_rows(breakdown_list, $with_breakdowns)) AS b,
        crime_ref, suspect_id, risk_level, power_of_arrest, no_arrest_reason, is_repeat_victim_incident,
        is_repeat_suspect_incident, high_risk_referred, has_arrest, attended_with_target, attended_in_target
    FROM in_period
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) AS incidents__num,
    count(*) FILTER (WHERE crime_ref IS NOT NULL) AS crime_conversion_rate__num,
    count(*) AS crime_conversion_rate__den,
    count(*) FILTER (WHERE is_repeat_victim_incident) AS repeat_incident_rate__num,
    count(*) AS repeat_incident_rate__den,
    count(*) FILTER (WHERE is_repeat_suspect_incident) AS repeat_suspect_rate__num,
    count(*) FILTER (WHERE suspect_id IS NOT NULL) AS repeat_suspect_rate__den,
    count(*) FILTER (WHERE risk_level <> 'not_assessed') AS risk_assessed_rate__num,
    count(*) AS risk_assessed_rate__den,
    count(*) FILTER (WHERE risk_level = 'high') AS high_risk_rate__num,
    count(*) FILTER (WHERE risk_level <> 'not_assessed') AS high_risk_rate__den,
    count(*) FILTER (WHERE high_risk_referred) AS high_risk_marac_referral_rate__num,
    count(*) FILTER (WHERE risk_level = 'high') AS high_risk_marac_referral_rate__den,
    count(*) FILTER (WHERE power_of_arrest AND has_arrest) AS arrest_rate_where_power__num,
    count(*) FILTER (WHERE power_of_arrest) AS arrest_rate_where_power__den,
    count(*) FILTER (WHERE power_of_arrest AND NOT has_arrest AND no_arrest_reason IS NOT NULL)
        AS no_arrest_reason_recorded_rate__num,
    count(*) FILTER (WHERE power_of_arrest AND NOT has_arrest) AS no_arrest_reason_recorded_rate__den,
    count(*) FILTER (WHERE attended_with_target AND attended_in_target) AS attendance_within_target_rate__num,
    count(*) FILTER (WHERE attended_with_target) AS attendance_within_target_rate__den
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
