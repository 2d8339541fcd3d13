-- DVDS applications still open at the meeting time (no disclosure, no-disclosure or withdrawal by then)
-- that need action: initial checks not done $dvds_initial_checks_hours after receipt, or the decision
-- due ($dvds_decision_days after receipt) within $dvds_decision_warning_days, or already late.
WITH open_applications AS (
    SELECT
        d.*,
        d.received_at + to_hours(CAST($dvds_initial_checks_hours AS BIGINT)) AS checks_due_at,
        d.received_at + to_days(CAST($dvds_decision_days AS INTEGER))        AS decision_due_at
    FROM dvds AS d
    WHERE d.received_at <= $window_end
      AND ($division_code IS NULL OR d.division_code = $division_code)
      AND NOT coalesce(d.decision IN ('disclosure', 'no_disclosure', 'withdrawn')
                       AND coalesce(d.decision_at, d.received_at) <= $window_end, FALSE)
), flagged AS (
    SELECT
        *,
        (initial_checks_at IS NULL OR initial_checks_at > $window_end)
            AND checks_due_at < $window_end AS checks_overdue,
        decision_due_at - to_days(CAST($dvds_decision_warning_days AS INTEGER)) <= $window_end AS decision_due_soon
    FROM open_applications
)
SELECT
    application_id,
    route,
    received_at,
    checks_overdue,
    decision_due_soon,
    checks_due_at,
    decision_due_at,
    round(date_diff('second', received_at, $window_end) / 3600.0, 1)    AS hours_since_received,
    round(date_diff('second', $window_end, decision_due_at) / 86400.0, 1) AS days_to_decision_due,
    initial_checks_at,
    decision,
    division_code,
    csp_code,
    left(subject_id, 12)           AS subject_ref,
    left(potential_victim_id, 12)  AS potential_victim_ref
FROM flagged
WHERE checks_overdue OR decision_due_soon
ORDER BY decision_due_at, application_id
