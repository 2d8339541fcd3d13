-- One row per MARAC case: the division of its partnership (in the same force), and
--   is_repeat: the MARAC's own repeat_flag where recorded, else a referral of the same victim within
--     the $lookback_days days before this one;
--   has_follow_up / no_further_incident: the $no_further_incident_days days after the meeting day end on
--     or before the last day the force's incidents reach, and the victim has no incident in them.
CREATE OR REPLACE TABLE fact_marac AS
WITH previous AS (
    SELECT
        force_code,
        case_id,
        max(referral_at) OVER (
            PARTITION BY force_code, victim_id ORDER BY referral_at
            RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING
        ) AS victim_previous_referral_at
    FROM stg_marac
), data_end AS (
    SELECT force_code, CAST(max(reported_at) AS DATE) AS last_day
    FROM stg_incidents
    GROUP BY force_code
), further AS (
    SELECT DISTINCT m.force_code, m.case_id
    FROM stg_marac AS m
    JOIN stg_incidents AS i
      ON i.force_code = m.force_code
     AND i.victim_id = m.victim_id
     AND CAST(i.reported_at AS DATE) >= m.heard_at + 1
     AND CAST(i.reported_at AS DATE) <= m.heard_at + CAST($no_further_incident_days AS INTEGER)
    WHERE m.heard_at IS NOT NULL
)
SELECT
    m.*,
    c.division_code,
    coalesce(m.repeat_flag,
             coalesce(p.victim_previous_referral_at >= m.referral_at - to_days(CAST($lookback_days AS INTEGER)),
                      false))                                                    AS is_repeat,
    coalesce(m.heard_at + CAST($no_further_incident_days AS INTEGER) <= e.last_day, false) AS has_follow_up,
    coalesce(m.heard_at + CAST($no_further_incident_days AS INTEGER) <= e.last_day, false)
        AND f.case_id IS NULL                                                    AS no_further_incident
FROM stg_marac AS m
JOIN previous AS p USING (force_code, case_id)
LEFT JOIN csps AS c ON c.csp_code = m.csp_code AND c.force_code = m.force_code
LEFT JOIN data_end AS e ON e.force_code = m.force_code
LEFT JOIN further AS f ON f.force_code = m.force_code AND f.case_id = m.case_id
ORDER BY m.force_code, m.heard_at;
