-- Notices (DVPN / DAPN) whose order hearing is due, and those whose deadline passed since the last
-- meeting without a hearing in time. The deadline is fact_notices.hearing_deadline_at, the same rule as
-- order_heard_within_48h_rate: a hearing is in time when hearing_at <= the deadline. Notices with no
-- order applied for, or the application withdrawn, need no hearing.
WITH candidates AS (
    SELECT *
    FROM fact_notices
    WHERE served_at >= $horizon_start AND served_at <= $window_end
      AND needs_hearing
      AND force_code IN (SELECT unnest($forces))
      AND ($division_code IS NULL OR division_code = $division_code)
), placed AS (
    SELECT
        c.*,
        CASE
            WHEN c.hearing_deadline_at > $window_end
             AND (c.hearing_at IS NULL OR c.hearing_at > $window_end) THEN 'due'
            WHEN c.hearing_deadline_at >= $window_start AND c.hearing_deadline_at <= $window_end
             AND (c.hearing_at IS NULL OR c.hearing_at > c.hearing_deadline_at) THEN 'missed'
        END AS status
    FROM candidates AS c
)
SELECT
    notice_id,
    scheme,
    status,
    served_at,
    hearing_deadline_at AS deadline_at,
    round(date_diff('second', $window_end, hearing_deadline_at) / 3600.0, 1) AS hours_left,
    order_applied_at,
    hearing_at,
    order_outcome,
    division_code,
    csp_code,
    left(suspect_id, 12) AS suspect_ref,
    left(victim_id, 12)  AS victim_ref
FROM placed
WHERE status IS NOT NULL
ORDER BY status DESC, deadline_at, notice_id
