-- The attrition funnel of one cohort: how many crimes reached each stage (each counted on its own, so a
-- summons without an arrest still counts as a charge), how many of the files sent to the CPS it
-- decided to charge, and how many went no further than each stage. Selects from `cohort` (attrition/cohort).
SELECT
    count(*)                                      AS recorded,
    count(*) FILTER (WHERE has_suspect)           AS suspect_identified,
    count(*) FILTER (WHERE linked_arrest)         AS arrest,
    count(*) FILTER (WHERE cps_referred)          AS cps_referral,
    count(*) FILTER (WHERE charged)               AS charge,
    count(*) FILTER (WHERE convicted)             AS conviction,
    count(*) FILTER (WHERE cps_charged)           AS cps_charged,
    -- Each crime once, at the furthest stage it reached (fact_crimes.stage_reached): these add up to the
    -- crimes recorded, and are the case list's "stage lost" choices (the stage after).
    count(*) FILTER (WHERE stage_reached = 'recorded')           AS furthest_recorded,
    count(*) FILTER (WHERE stage_reached = 'suspect_identified') AS furthest_suspect_identified,
    count(*) FILTER (WHERE stage_reached = 'arrest')             AS furthest_arrest,
    count(*) FILTER (WHERE stage_reached = 'cps_referral')       AS furthest_cps_referral,
    count(*) FILTER (WHERE stage_reached = 'charge')             AS furthest_charge,
    count(*) FILTER (WHERE stage_reached = 'conviction')         AS furthest_conviction
FROM cohort
