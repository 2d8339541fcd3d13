-- Court results dated by court_result_at: convicted over convicted + acquitted + discontinued.
WITH placed AS (
    SELECT
        force_code, division_code, csp_code,
        month_of(court_result_at, $by_month) AS month,
        unnest(breakdown_rows(breakdown_list, $with_breakdowns)) AS b,
        *
    FROM incident_base()
    WHERE in_period(court_result_at, $period_from, $period_to)
      AND court_result IN ('convicted', 'acquitted', 'discontinued')
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) FILTER (WHERE court_result = 'convicted') AS conviction_rate__num,
    count(*) AS conviction_rate__den
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
