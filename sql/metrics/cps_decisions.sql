-- CPS charging decisions dated by cps_decision_at: charge over charge + nfa + oocd (admin_finalised and
-- pending are not decisions on the case).
WITH placed AS (
    SELECT
        force_code, division_code, csp_code,
        month_of(cps_decision_at, $by_month) AS month,
        unnest(breakdown_rows(breakdown_list, $with_breakdowns)) AS b,
        *
    FROM incident_base()
    WHERE in_period(cps_decision_at, $period_from, $period_to)
      AND cps_decision IN ('charge', 'nfa', 'oocd')
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) FILTER (WHERE cps_decision = 'charge') AS cps_charging_rate__num,
    count(*) AS cps_charging_rate__den
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
