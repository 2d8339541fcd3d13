-- One row per recorded crime with the attrition stages it reached (each stage counted on its own: a
-- summons without an arrest still counts as a charge) and the days from report to each. In funnel order:
--   recorded; suspect identified; suspect arrested (an arrest linked to the incident); file sent to the
--   CPS (any CPS decision recorded, pending included); charged or summonsed (outcome type 1 or 1A, by
--   the police or on the CPS's decision); convicted.
-- A view on fact_incidents: the stage rules are the incident flags, written once there.
CREATE OR REPLACE VIEW fact_crimes AS
SELECT
    f.*,
    CASE WHEN f.charged THEN f.outcome_at END                                   AS charged_at,
    CASE WHEN f.convicted THEN f.court_result_at END                            AS convicted_at,
    CASE
        WHEN f.convicted THEN 'conviction'
        WHEN f.charged THEN 'charge'
        WHEN f.cps_referred THEN 'cps_referral'
        WHEN f.linked_arrest THEN 'arrest'
        WHEN f.has_suspect THEN 'suspect_identified'
        ELSE 'recorded'
    END                                                                          AS stage_reached,
    CASE
        WHEN f.convicted THEN NULL
        WHEN f.charged THEN 'conviction'
        WHEN f.cps_referred THEN 'charge'
        WHEN f.linked_arrest THEN 'cps_referral'
        WHEN f.has_suspect THEN 'arrest'
        ELSE 'suspect_identified'
    END                                                                          AS stage_lost,
    date_diff('second', f.reported_at, f.first_arrest_at) / 86400.0             AS days_to_arrest,
    date_diff('second', f.reported_at, f.cps_decision_at) / 86400.0             AS days_to_cps_referral,
    date_diff('second', f.reported_at, CASE WHEN f.charged THEN f.outcome_at END) / 86400.0 AS days_to_charge,
    date_diff('second', f.reported_at, CASE WHEN f.convicted THEN f.court_result_at END) / 86400.0
                                                                                 AS days_to_conviction
FROM fact_incidents AS f
WHERE f.is_crime;
