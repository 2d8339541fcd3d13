-- The attrition funnel of one cohort: how many crimes reached each stage (each counted on its own, so a
-- summons without an arrest still counts as a charge). Selects from `cohort` (attrition/cohort).
SELECT
    count(*)                                      AS recorded,
    count(*) FILTER (WHERE suspect_identified)    AS suspect_identified,
    count(*) FILTER (WHERE arrested)              AS arrest,
    count(*) FILTER (WHERE charged)               AS charge,
    count(*) FILTER (WHERE cps_charge)            AS cps_charge,
    count(*) FILTER (WHERE convicted)             AS conviction
FROM cohort
