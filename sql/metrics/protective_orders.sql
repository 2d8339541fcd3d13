-- Notices (DVPN / DAPN) served in the period, dated by served_at, and the orders applied for after them.
--   applied: an application date recorded, or an outcome only an application can have.
--   heard within N hours: hours from service to the first hearing, less the hours that fall on Sundays
--   and bank holidays ($non_counting_days, from metrics/calendar.py), at most N.
WITH notices AS (
    SELECT
        p.*,
        p.order_applied_at IS NOT NULL
            OR p.order_outcome IN ('granted', 'refused', 'withdrawn', 'adjourned') AS applied
    FROM protective_orders AS p
    WHERE in_period(p.served_at, $period_from, $period_to)
), non_counting AS (
    SELECT CAST(unnest($non_counting_days) AS DATE) AS day
), hearing_hours AS (
    SELECT
        n.notice_id,
        (epoch(n.hearing_at) - epoch(n.served_at)) / 3600.0
            -- (least / greatest skip NULLs, so days that did not join are filtered out explicitly)
            - coalesce(sum(greatest(0.0,
                  epoch(least(n.hearing_at, CAST(d.day AS TIMESTAMP) + INTERVAL 1 DAY))
                  - epoch(greatest(n.served_at, CAST(d.day AS TIMESTAMP))))) FILTER (WHERE d.day IS NOT NULL),
                  0.0) / 3600.0 AS counted_hours
    FROM notices AS n
    LEFT JOIN non_counting AS d
        ON d.day >= CAST(n.served_at AS DATE) AND d.day <= CAST(n.hearing_at AS DATE)
    WHERE n.applied AND n.hearing_at IS NOT NULL
    GROUP BY n.notice_id, n.served_at, n.hearing_at
), placed AS (
    SELECT
        month_of(n.served_at, $by_month) AS month,
        unnest(breakdown_rows([{'breakdown': 'scheme', 'breakdown_value': n.scheme}], $with_breakdowns)) AS b,
        n.*,
        h.counted_hours
    FROM notices AS n
    LEFT JOIN hearing_hours AS h ON h.notice_id = n.notice_id
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) AS notices_served__num,
    count(*) FILTER (WHERE applied) AS order_application_rate__num,
    count(*) AS order_application_rate__den,
    count(*) FILTER (WHERE order_outcome = 'granted') AS order_grant_rate__num,
    count(*) FILTER (WHERE order_outcome IN ('granted', 'refused')) AS order_grant_rate__den,
    count(*) FILTER (WHERE counted_hours <= $order_hearing_hours) AS order_heard_within_48h_rate__num,
    count(*) FILTER (WHERE counted_hours IS NOT NULL) AS order_heard_within_48h_rate__den,
    count(*) FILTER (WHERE order_outcome = 'granted' AND breaches >= 1) AS order_breach_rate__num,
    count(*) FILTER (WHERE order_outcome = 'granted') AS order_breach_rate__den
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
