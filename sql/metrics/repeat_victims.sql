-- Distinct victims with an incident in the period (or month), and those of them with a repeat: any of
-- their incidents in the period had an earlier incident of theirs within the look-back (whole force).
-- A victim counts once, at the unit (and breakdown values) of their last incident in the period, so
-- divisions and CSPs sum to the force.
WITH in_period AS (
    SELECT *, month_of(reported_at, $by_month) AS month
    FROM incident_facts()
    WHERE in_period(reported_at, $period_from, $period_to)
), victims AS (
    SELECT
        *,
        bool_or(is_repeat_victim_incident) OVER (PARTITION BY victim_id, month) AS victim_is_repeat
    FROM in_period
    QUALIFY row_number() OVER (PARTITION BY victim_id, month ORDER BY reported_at DESC, incident_id DESC) = 1
), placed AS (
    SELECT
        unit_at($level, force_code, division_code, csp_code) AS unit_code,
        unnest(breakdown_rows(breakdown_list, $with_breakdowns)) AS b,
        *
    FROM victims
)
SELECT
    unit_code, month, b.breakdown AS breakdown, b.breakdown_value AS breakdown_value,
    count(*) FILTER (WHERE victim_is_repeat) AS repeat_victim_rate__num,
    count(*) AS repeat_victim_rate__den
FROM placed
WHERE unit_code IS NOT NULL
GROUP BY unit_code, month, b.breakdown, b.breakdown_value
