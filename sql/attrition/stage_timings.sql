-- Days from report (reported_at) to each stage over the cohort's crimes that reached it: how many,
-- the median and the 90th percentile (a distribution, not just a middle). Selects from `cohort`.
SELECT 'arrest' AS stage, count(days_to_arrest) AS crimes, median(days_to_arrest) AS median_days,
       quantile_cont(days_to_arrest, 0.9) AS p90_days FROM cohort
UNION ALL
SELECT 'cps_referral', count(days_to_cps_referral), median(days_to_cps_referral),
       quantile_cont(days_to_cps_referral, 0.9) FROM cohort
UNION ALL
SELECT 'charge', count(days_to_charge), median(days_to_charge), quantile_cont(days_to_charge, 0.9) FROM cohort
UNION ALL
SELECT 'conviction', count(days_to_conviction), median(days_to_conviction),
       quantile_cont(days_to_conviction, 0.9) FROM cohort
