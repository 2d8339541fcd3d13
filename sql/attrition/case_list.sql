-- The cohort's crimes one by one, for dip-sampling. Person ids appear only as pseudonymised references:
-- the stored keyed hash shortened to 12 hex characters. Selects from `cohort` (attrition/cohort).
-- $stage_lost: NULL = any; $outcome_type: NULL = any, '0' = no outcome yet assigned.
SELECT
    c.incident_id,
    c.crime_ref,
    left(c.victim_id, 12)                      AS victim_ref,
    left(c.suspect_id, 12)                     AS suspect_ref,
    c.division_code,
    c.csp_code,
    c.offence_code,
    c.offence_group,
    c.reported_at,
    c.crime_recorded_at,
    c.stage_reached,
    c.stage_lost,
    coalesce(c.outcome_type, '0')              AS outcome_type,
    c.outcome_at,
    round(c.days_to_arrest, 1)                 AS days_to_arrest,
    round(c.days_to_cps_referral, 1)           AS days_to_cps_referral,
    round(c.days_to_charge, 1)                 AS days_to_charge,
    round(c.days_to_conviction, 1)             AS days_to_conviction
FROM cohort AS c
WHERE ($stage_lost IS NULL OR c.stage_lost = $stage_lost)
  AND ($outcome_type IS NULL OR coalesce(c.outcome_type, '0') = $outcome_type)
ORDER BY c.crime_recorded_at, c.incident_id
