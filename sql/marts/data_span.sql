-- The first and last day any extract's events fall on (NULLs when nothing is loaded): the calendar
-- dimension covers them.
SELECT min(first_day), max(last_day)
FROM (
    SELECT CAST(min(reported_at) AS DATE) AS first_day,
           CAST(greatest(max(reported_at), max(outcome_at), max(cps_decision_at), max(court_result_at)) AS DATE) AS last_day
    FROM incidents
    UNION ALL SELECT CAST(min(arrested_at) AS DATE), CAST(max(arrested_at) AS DATE) FROM arrests
    UNION ALL SELECT CAST(min(served_at) AS DATE), CAST(greatest(max(served_at), max(hearing_at)) AS DATE)
              FROM protective_orders
    UNION ALL SELECT CAST(min(received_at) AS DATE), CAST(greatest(max(received_at), max(decision_at)) AS DATE) FROM dvds
    UNION ALL SELECT CAST(min(referral_at) AS DATE), max(heard_at) FROM marac
)
