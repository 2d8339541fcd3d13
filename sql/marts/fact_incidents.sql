-- One row per incident (and its crime, if one was recorded), with every derived flag as a column: the
-- one home of each rule below. Every reader (metrics, attrition, the daily meeting, data quality, the
-- victim profile) counts these columns instead of restating a rule.
-- Parameters (thresholds from daperf/thresholds.toml): $lookback_days, $marac_referral_window_days,
-- $attendance_emergency_minutes, $attendance_priority_minutes.
--
-- Look-backs search the whole of the force's history (any division or CSP, before any period's start),
-- never another force's: people are partitioned by force as well as by their id.
--   "Within the N days before" an incident at time t: an earlier incident at or after t - N days and
--   strictly before t (one at the same instant is not earlier). Exactly N days earlier counts.
--   Serial: over the N days ending at the incident (t - N days to t, the incident itself included), the
--   suspect's incidents are against two or more distinct victims.
-- Linked arrest: an arrest whose incident_id names this incident (any time after).
-- MARAC referral of a high-risk victim: a referral of the same victim dated (calendar dates) from the
-- incident's date to N days after it, inclusive; marac_referral_at is the first such referral.
-- Outcome assigned: a crime with an outcome of type 1-22 (type 0, not yet assigned, is NULL).
--
-- Since no rule crosses forces, etl.marts builds the table a group of forces at a time (the force codes
-- $first_force to $last_force): every join and window stays in memory, and the table comes out clustered
-- by force, each force's rows in the order the incidents were loaded (a force's extract in time order
-- gives rows in time order, as readers filter them). The windows read only the columns they need.
WITH first_arrest AS (
    SELECT force_code, incident_id, min(arrested_at) AS first_arrest_at
    FROM stg_arrests
    WHERE incident_id IS NOT NULL AND force_code BETWEEN $first_force AND $last_force
    GROUP BY force_code, incident_id
), marac_referral AS (
    SELECT i.force_code, i.incident_id, min(m.referral_at) AS marac_referral_at
    FROM stg_incidents AS i
    JOIN stg_marac AS m
      ON m.force_code = i.force_code
     AND m.victim_id = i.victim_id
     AND CAST(m.referral_at AS DATE) >= CAST(i.reported_at AS DATE)
     AND CAST(m.referral_at AS DATE) <= CAST(i.reported_at AS DATE) + CAST($marac_referral_window_days AS INTEGER)
    WHERE i.high_risk AND i.force_code BETWEEN $first_force AND $last_force
    GROUP BY i.force_code, i.incident_id
), windows AS (
    SELECT
        force_code,
        incident_id,
        max(reported_at) OVER (
            PARTITION BY force_code, victim_id ORDER BY reported_at
            RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING
        ) AS victim_previous_at,
        max(reported_at) OVER (
            PARTITION BY force_code, suspect_id ORDER BY reported_at
            RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING
        ) AS suspect_previous_at,
        min(victim_id) OVER suspect_window AS suspect_least_victim,
        max(victim_id) OVER suspect_window AS suspect_greatest_victim
    FROM stg_incidents
    WHERE force_code BETWEEN $first_force AND $last_force
    WINDOW suspect_window AS (
        PARTITION BY force_code, suspect_id ORDER BY reported_at
        RANGE BETWEEN to_days(CAST($lookback_days AS INTEGER)) PRECEDING AND CURRENT ROW
    )
)
SELECT
    i.*,
    -- What the crime is.
    i.is_crime AND coalesce(o.is_homicide, false)                               AS is_homicide,
    CASE WHEN NOT i.is_crime THEN 'no_crime_recorded'
         ELSE coalesce(o.offence_group, 'unknown') END                          AS offence_group,
    -- Positive action.
    a.first_arrest_at,
    a.first_arrest_at IS NOT NULL                                               AS linked_arrest,
    i.had_power_of_arrest AND a.first_arrest_at IS NULL                         AS power_no_arrest,
    -- Repeats and serial perpetrators.
    coalesce(w.victim_previous_at >= i.reported_at - to_days(CAST($lookback_days AS INTEGER)), false)
                                                                                AS repeat_victim_incident,
    i.has_suspect
        AND coalesce(w.suspect_previous_at >= i.reported_at - to_days(CAST($lookback_days AS INTEGER)), false)
                                                                                AS repeat_suspect_incident,
    i.has_suspect AND w.suspect_least_victim <> w.suspect_greatest_victim      AS serial_incident,
    -- Risk and MARAC.
    r.marac_referral_at,
    i.high_risk AND r.marac_referral_at IS NOT NULL                             AS high_risk_referred_to_marac,
    -- Attendance against the call grade's target.
    coalesce(i.call_grade IN ('emergency', 'priority'), false) AND i.attended_at IS NOT NULL
                                                                                AS attendance_graded,
    coalesce(i.call_grade IN ('emergency', 'priority'), false) AND i.attended_at IS NOT NULL
        AND i.attended_at <= i.reported_at + to_minutes(CAST(
            CASE i.call_grade WHEN 'emergency' THEN $attendance_emergency_minutes
                              WHEN 'priority' THEN $attendance_priority_minutes END AS INTEGER))
                                                                                AS attended_within_target,
    -- Outcomes (the outcome-date cohort), CPS decisions and court results.
    i.is_crime AND t.outcome_type IS NOT NULL                                   AS outcome_assigned,
    CASE WHEN i.is_crime THEN coalesce(t.outcome_group, 'awaiting') END         AS outcome_group,
    i.is_crime AND coalesce(t.outcome_group = 'charged', false)                AS charged,
    i.is_crime AND coalesce(i.outcome_type = '15', false)                      AS outcome_15,
    i.is_crime AND coalesce(i.outcome_type = '16', false)                      AS outcome_16,
    i.is_crime AND coalesce(t.outcome_group = 'evidential_difficulties', false) AS evidential_difficulties,
    i.cps_decision IS NOT NULL                                                  AS cps_referred,
    coalesce(i.cps_decision IN ('charge', 'nfa', 'oocd'), false)               AS cps_decided,
    coalesce(i.cps_decision = 'charge', false)                                 AS cps_charged,
    coalesce(i.court_result IN ('convicted', 'acquitted', 'discontinued'), false) AS court_decided,
    coalesce(i.court_result = 'convicted', false)                              AS convicted
FROM stg_incidents AS i
JOIN windows AS w USING (force_code, incident_id)
LEFT JOIN first_arrest AS a USING (force_code, incident_id)
LEFT JOIN marac_referral AS r USING (force_code, incident_id)
LEFT JOIN offence_codes AS o ON o.offence_code = i.offence_code
LEFT JOIN dim_outcome_types AS t ON t.outcome_type = i.outcome_type AND t.outcome_type <> '0'
WHERE i.force_code BETWEEN $first_force AND $last_force
