-- The attrition funnel of one cohort: how many crimes reached each stage (each counted on its own, so a
-- summons without an arrest still counts as a charge), and how many of the files sent to the CPS it
-- decided to charge. Selects from `cohort` (attrition/cohort).
SELECT
    count(*)                                      AS recorded,
    count(*) FILTER (WHERE has_suspect)           AS suspect_identified,
    count(*) FILTER (WHERE linked_arrest)         AS arrest,
    count(*) FILTER (WHERE cps_referred)          AS cps_referral,
    count(*) FILTER (WHERE charged)               AS charge,
    count(*) FILTER (WHERE convicted)             AS conviction,
    count(*) FILTER (WHERE cps_charged)           AS cps_charged
FROM cohort
