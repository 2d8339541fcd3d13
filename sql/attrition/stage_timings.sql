-- Median days from report (reported_at) to each stage, over the cohort's crimes that reached it.
-- Selects from `cohort` (attrition/cohort).
SELECT 'arrest' AS stage, count(days_to_arrest) AS crimes, median(days_to_arrest) AS median_days FROM cohort
UNION ALL
SELECT 'charge', count(days_to_charge), median(days_to_charge) FROM cohort
UNION ALL
SELECT 'cps_charge', count(days_to_cps_charge), median(days_to_cps_charge) FROM cohort
UNION ALL
SELECT 'conviction', count(days_to_conviction), median(days_to_conviction) FROM cohort
