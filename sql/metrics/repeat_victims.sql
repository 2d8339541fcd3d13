-- Distinct victims with an incident in the period (or month), and those of them with a repeat: any of
-- their incidents in the period had an earlier incident of theirs within the look-back (whole force).
-- A victim counts once, at the unit (and breakdown values) of their last incident in the period (the
-- greater incident id on a tie), so divisions and CSPs sum to the force.
WITH victims AS (
    SELECT
        victim_id,
        month_of(reported_at, $by_month) AS month,
        bool_or(is_repeat_victim_incident) AS victim_is_repeat,
        max_by(incident_id, {'reported_at': reported_at, 'incident_id': incident_id}) AS last_incident_id
    FROM incident_facts()
    WHERE in_period(reported_at, $period_from, $period_to)
    GROUP BY victim_id, month
), placed AS (
    SELECT
        i.force_code, i.division_code, i.csp_code,
        v.month,
        v.victim_is_repeat,
        unnest(breakdown_rows(i.breakdown_list, $with_breakdowns)) AS b
    FROM victims AS v
    JOIN incident_base() AS i ON i.incident_id = v.last_incident_id
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) FILTER (WHERE victim_is_repeat) AS repeat_victim_rate__num,
    count(*) AS repeat_victim_rate__den
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
