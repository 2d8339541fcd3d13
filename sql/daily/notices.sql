-- Notices (DVPN / DAPN) whose order hearing is due, and those whose deadline passed since the last
-- meeting without a hearing in time.
-- The deadline is $order_hearing_hours after service, hours on Sundays and bank holidays not counted
-- ($non_counting_days, from metrics/calendar.py: the same days and the same clock as
-- order_heard_within_48h_rate, which counts the hours from service to hearing; here the clock runs
-- forward from service until that many counting hours have passed).
-- Notices with no order applied for or the application withdrawn need no hearing.
WITH candidates AS (
    SELECT *
    FROM protective_orders
    WHERE served_at >= $horizon_start AND served_at <= $window_end
      AND coalesce(order_outcome, '') NOT IN ('not_applied', 'withdrawn')
      AND ($division_code IS NULL OR division_code = $division_code)
), counting_days AS (
    -- each day from the day of service on that the clock runs, with its counting hours after service
    SELECT
        c.notice_id,
        CAST(c.served_at AS DATE) + CAST(g.range AS INTEGER) AS day,
        (epoch(CAST(CAST(c.served_at AS DATE) + CAST(g.range AS INTEGER) AS TIMESTAMP) + INTERVAL 1 DAY)
         - epoch(greatest(c.served_at, CAST(CAST(c.served_at AS DATE) + CAST(g.range AS INTEGER) AS TIMESTAMP))))
            / 3600.0 AS hours
    FROM candidates AS c
    CROSS JOIN range(0, 21) AS g
    WHERE CAST(c.served_at AS DATE) + CAST(g.range AS INTEGER)
          NOT IN (SELECT CAST(unnest($non_counting_days) AS DATE))
), running AS (
    SELECT notice_id, day,
           sum(hours) OVER (PARTITION BY notice_id ORDER BY day) AS hours_by_end_of_day
    FROM counting_days
), deadlines AS (
    -- the first counting day by whose end the hours are reached; the deadline falls that many hours
    -- before the end of that day
    SELECT notice_id,
           arg_min(CAST(day AS TIMESTAMP) + INTERVAL 1 DAY
                   - to_microseconds(CAST((hours_by_end_of_day - $order_hearing_hours) * 3600000000 AS BIGINT)),
                   day) AS deadline_at
    FROM running
    WHERE hours_by_end_of_day >= $order_hearing_hours
    GROUP BY notice_id
), placed AS (
    SELECT
        c.*,
        d.deadline_at,
        CASE
            WHEN d.deadline_at > $window_end
             AND (c.hearing_at IS NULL OR c.hearing_at > $window_end) THEN 'due'
            WHEN d.deadline_at >= $window_start AND d.deadline_at <= $window_end
             AND (c.hearing_at IS NULL OR c.hearing_at > d.deadline_at) THEN 'missed'
        END AS status
    FROM candidates AS c
    JOIN deadlines AS d USING (notice_id)
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
