-- DVDS decisions (disclosure / no_disclosure) made in the period, dated by decision_at: the share that
-- disclosed, and the share decided within N days of receipt.
WITH placed AS (
    SELECT
        force_code, division_code, csp_code,
        month_of(decision_at, $by_month) AS month,
        unnest(breakdown_rows([{'breakdown': 'route', 'breakdown_value': route}], $with_breakdowns)) AS b,
        *
    FROM dvds
    WHERE in_period(decision_at, $period_from, $period_to)
      AND decision IN ('disclosure', 'no_disclosure')
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) FILTER (WHERE decision = 'disclosure') AS dvds_disclosure_rate__num,
    count(*) AS dvds_disclosure_rate__den,
    count(*) FILTER (
        WHERE decision_at <= received_at + to_days(CAST($dvds_decision_days AS INTEGER))
    ) AS dvds_decided_within_28d_rate__num,
    count(*) AS dvds_decided_within_28d_rate__den
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
