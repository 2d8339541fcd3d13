-- Outcomes in the outcome-date cohort (outcome_at in the period, as the Home Office publishes), types
-- 1-22 only: type 0 (not yet assigned) never enters a denominator.
WITH placed AS (
    SELECT
        force_code, division_code, csp_code,
        month_of(outcome_assigned_at, $by_month) AS month,
        unnest(breakdown_rows(breakdown_list, $with_breakdowns)) AS b,
        *
    FROM incident_base()
    WHERE in_period(outcome_assigned_at, $period_from, $period_to)
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) AS outcomes_assigned__num,
    count(*) FILTER (WHERE outcome_type IN ('1', '1A')) AS charge_rate__num,
    count(*) AS charge_rate__den,
    count(*) FILTER (WHERE outcome_type = '16') AS outcome_16_rate__num,
    count(*) AS outcome_16_rate__den,
    count(*) FILTER (WHERE outcome_type = '15') AS outcome_15_rate__num,
    count(*) AS outcome_15_rate__den,
    count(*) FILTER (WHERE outcome_type IN ('14', '15', '16')) AS evidential_difficulties_rate__num,
    count(*) AS evidential_difficulties_rate__den
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
