-- DVDS applications still open at the meeting time (not decided either way or withdrawn by then) that
-- need action: initial checks not done by their due time (fact_dvds.checks_due_at), or the decision due
-- (fact_dvds.decision_due_at) within $dvds_decision_warning_days days, or already late. The longest
-- overdue first: each application is placed by the earliest deadline it has missed (its checks', when
-- they are overdue), else by when its decision falls due (action_due_at). How late it is at the meeting
-- is counted from that deadline: days_overdue (to 0.1 day) and hours_overdue (exact, for the briefing to
-- show in words), both negative while the decision is still to come.
WITH open_applications AS (
    SELECT *
    FROM fact_dvds
    WHERE received_at <= $window_end
      AND (closed_at IS NULL OR closed_at > $window_end)
      AND force_code IN (SELECT unnest($forces))
      AND ($division_code IS NULL OR division_code = $division_code)
), flagged AS (
    SELECT
        *,
        (initial_checks_at IS NULL OR initial_checks_at > $window_end) AND checks_due_at < $window_end AS checks_overdue,
        decision_due_at - to_days(CAST($dvds_decision_warning_days AS INTEGER)) <= $window_end AS decision_due_soon,
        decision_due_at < $window_end AS decision_late
    FROM open_applications
), placed AS (
    SELECT *, CASE WHEN checks_overdue THEN checks_due_at ELSE decision_due_at END AS action_due_at
    FROM flagged
    WHERE checks_overdue OR decision_due_soon
)
SELECT
    application_id,
    route,
    received_at,
    checks_overdue,
    decision_due_soon,
    decision_late,
    checks_due_at,
    decision_due_at,
    round(date_diff('second', received_at, $window_end) / 3600.0, 1)    AS hours_since_received,
    round(date_diff('second', $window_end, decision_due_at) / 86400.0, 1) AS days_to_decision_due,
    round(date_diff('second', action_due_at, $window_end) / 86400.0, 1)   AS days_overdue,
    date_diff('microsecond', action_due_at, $window_end) / 3600000000.0  AS hours_overdue,
    initial_checks_at,
    decision,
    division_code,
    csp_code,
    left(subject_id, 12)           AS subject_ref,
    left(potential_victim_id, 12)  AS potential_victim_ref
FROM placed
ORDER BY action_due_at, application_id
