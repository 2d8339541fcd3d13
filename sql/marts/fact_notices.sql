-- One row per protection notice (DVPN / DAPN), with the one home of the 48-hour rule (Crime and
-- Security Act 2010 s.27): the order must be heard within $order_hearing_hours hours of service, Sundays
-- and bank holidays not counted (dim_calendar.is_counting_day).
--
-- hearing_deadline_at is the last moment at which no more than N counting hours have passed since
-- service, so a hearing is in time when hearing_at <= hearing_deadline_at. The clock runs from service on
-- a counting day, or from midnight at the start of the next counting day when served on a day that does
-- not count. Measured from midnight of that first counting day it needs N hours plus the part of the day
-- gone before service: q whole counting days and r more. The deadline is r after midnight of the q-th
-- counting day after the first (found by dim_calendar.counting_day_number); when the hours run out at
-- midnight before a day that does not count, the clock stands still through it and the deadline is the
-- start of the next counting day.
-- Read by order_heard_within_48h_rate (heard_in_time) and the daily meeting's hearings list.
CREATE OR REPLACE TABLE fact_notices AS
WITH clock AS (
    SELECT
        p.force_code,
        p.notice_id,
        -- The first counting day's number: the service day's if it counts, else the next one's.
        c.counting_day_number + CASE WHEN c.is_counting_day THEN 0 ELSE 1 END AS first_day_number,
        CASE WHEN c.is_counting_day
             THEN epoch_us(p.served_at) - epoch_us(CAST(c.day AS TIMESTAMP)) ELSE 0 END
            + CAST(round($order_hearing_hours * 3600000000) AS BIGINT) AS counting_us
    FROM stg_protective_orders AS p
    JOIN dim_calendar AS c ON c.day = CAST(p.served_at AS DATE)
), deadline AS (
    SELECT
        k.force_code,
        k.notice_id,
        CAST(d.day AS TIMESTAMP) + to_microseconds(k.counting_us % 86400000000) AS hearing_deadline_at
    FROM clock AS k
    JOIN dim_calendar AS d
      ON d.counting_day_number = k.first_day_number + k.counting_us // 86400000000
     AND d.is_counting_day
)
SELECT
    p.*,
    p.applied AND p.hearing_at IS NOT NULL                                      AS heard,
    d.hearing_deadline_at,
    p.applied AND p.hearing_at IS NOT NULL AND p.hearing_at <= d.hearing_deadline_at AS heard_in_time,
    i.incident_id IS NOT NULL                                                   AS incident_found
FROM stg_protective_orders AS p
LEFT JOIN deadline AS d USING (force_code, notice_id)
LEFT JOIN stg_incidents AS i ON i.force_code = p.force_code AND i.incident_id = p.incident_id
ORDER BY p.force_code, p.served_at;
