-- Notices (DVPN / DAPN) served in the period, dated by served_at, and the orders applied for after them.
--   applied: an application date recorded, or an outcome only an application can have.
--   heard within N hours: of the applications with a hearing, those heard by the order deadline
--   (order_deadline in sql/marts/order_deadline.sql: N counting hours after service, Sundays and bank
--   holidays not counted; $non_counting_days from metrics/calendar.py).
WITH notices AS (
    SELECT
        p.*,
        p.order_applied_at IS NOT NULL
            OR p.order_outcome IN ('granted', 'refused', 'withdrawn', 'adjourned') AS applied
    FROM protective_orders AS p
    WHERE in_period(p.served_at, $period_from, $period_to)
), placed AS (
    SELECT
        month_of(n.served_at, $by_month) AS month,
        unnest(breakdown_rows([{'breakdown': 'scheme', 'breakdown_value': n.scheme}], $with_breakdowns)) AS b,
        n.*,
        CASE WHEN n.applied AND n.hearing_at IS NOT NULL
             THEN n.hearing_at <= order_deadline(n.served_at, $order_hearing_hours, $non_counting_days)
        END AS heard_in_time
    FROM notices AS n
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) AS notices_served__num,
    count(*) FILTER (WHERE applied) AS order_application_rate__num,
    count(*) AS order_application_rate__den,
    count(*) FILTER (WHERE order_outcome = 'granted') AS order_grant_rate__num,
    count(*) FILTER (WHERE order_outcome IN ('granted', 'refused')) AS order_grant_rate__den,
    count(*) FILTER (WHERE heard_in_time) AS order_heard_within_48h_rate__num,
    count(*) FILTER (WHERE heard_in_time IS NOT NULL) AS order_heard_within_48h_rate__den,
    count(*) FILTER (WHERE order_outcome = 'granted' AND breaches >= 1) AS order_breach_rate__num,
    count(*) FILTER (WHERE order_outcome = 'granted') AS order_breach_rate__den
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
