-- Notices (DVPN / DAPN) whose order hearing is due, and those whose deadline passed since the last
-- meeting without a hearing in time.
-- The deadline is order_deadline in sql/marts/order_deadline.sql ($order_hearing_hours counting hours
-- after service, Sundays and bank holidays not counted; $non_counting_days from metrics/calendar.py), the
-- same rule as order_heard_within_48h_rate: a hearing is in time when hearing_at <= deadline_at.
-- Notices with no order applied for or the application withdrawn need no hearing.
WITH candidates AS (
    SELECT *
    FROM protective_orders
    WHERE served_at >= $horizon_start AND served_at <= $window_end
      AND coalesce(order_outcome, '') NOT IN ('not_applied', 'withdrawn')
      AND ($division_code IS NULL OR division_code = $division_code)
), deadlines AS (
    SELECT c.*, order_deadline(c.served_at, $order_hearing_hours, $non_counting_days) AS deadline_at
    FROM candidates AS c
), placed AS (
    SELECT
        d.*,
        CASE
            WHEN d.deadline_at > $window_end
             AND (d.hearing_at IS NULL OR d.hearing_at > $window_end) THEN 'due'
            WHEN d.deadline_at >= $window_start AND d.deadline_at <= $window_end
             AND (d.hearing_at IS NULL OR d.hearing_at > d.deadline_at) THEN 'missed'
        END AS status
    FROM deadlines AS d
)
SELECT
    notice_id,
    scheme,
    status,
    served_at,
    deadline_at,
    round(date_diff('second', $window_end, deadline_at) / 3600.0, 1) AS hours_left,
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
