-- One row per Clare's Law (DVDS) application, with its deadlines: initial checks due
-- $dvds_initial_checks_hours hours after receipt (none recorded counts as not done), the decision
-- $dvds_decision_days days after receipt.
CREATE OR REPLACE TABLE fact_dvds AS
SELECT
    d.*,
    d.received_at + to_hours(CAST($dvds_initial_checks_hours AS BIGINT))             AS checks_due_at,
    d.received_at + to_days(CAST($dvds_decision_days AS INTEGER))                    AS decision_due_at,
    coalesce(d.initial_checks_at <= d.received_at + to_hours(CAST($dvds_initial_checks_hours AS BIGINT)), false)
                                                                                     AS checks_in_time,
    d.decided AND d.decision_at <= d.received_at + to_days(CAST($dvds_decision_days AS INTEGER))
                                                                                     AS decided_in_time
FROM stg_dvds AS d
ORDER BY d.force_code, d.received_at;
