-- DVDS applications received in the period (received_at), and initial checks done within N hours of
-- receipt (none recorded counts as not done).
WITH placed AS (
    SELECT
        force_code, division_code, csp_code,
        month_of(received_at, $by_month) AS month,
        unnest(breakdown_rows([{'breakdown': 'route', 'breakdown_value': route}], $with_breakdowns)) AS b,
        *
    FROM dvds
    WHERE in_period(received_at, $period_from, $period_to)
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) AS dvds_applications__num,
    count(*) FILTER (
        WHERE initial_checks_at <= received_at + to_hours(CAST($dvds_initial_checks_hours AS INTEGER))
    ) AS dvds_initial_checks_24h_rate__num,
    count(*) AS dvds_initial_checks_24h_rate__den
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
