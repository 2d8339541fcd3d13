-- Look-back flags of every incident, searched over the whole force's history (any division or CSP, and
-- before any period's start). Kept as a TEMP table for the connection and rebuilt when $cache_key (the
-- incidents' fingerprint from sql/marts/fingerprint.sql, and the look-back) changes; $data_fingerprint
-- (all the data's) is kept beside it for sql/marts/incident_flags_built.sql.
--   "Within the N days before" an incident at time t: an earlier incident at or after t - N days and
--   strictly before t (one at the same instant is not earlier). Exactly N days earlier counts.
--   Serial: over the N days ending at the incident (t - N days to t, the incident itself included), the
--   suspect's incidents are against two or more distinct victims, i.e. the least and the greatest
--   victim id in that window differ.
CREATE OR REPLACE TEMP TABLE incident_flags AS
WITH windows AS (
    SELECT
        incident_id,
        reported_at,
        suspect_id,
        max(reported_at) OVER (
            PARTITION BY victim_id ORDER BY reported_at
            RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING
        ) AS victim_previous_at,
        max(reported_at) OVER (
            PARTITION BY suspect_id ORDER BY reported_at
            RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING
        ) AS suspect_previous_at,
        min(victim_id) OVER suspect_window AS suspect_least_victim,
        max(victim_id) OVER suspect_window AS suspect_greatest_victim
    FROM incidents
    WINDOW suspect_window AS (
        PARTITION BY suspect_id ORDER BY reported_at
        RANGE BETWEEN to_days(CAST($lookback_days AS INTEGER)) PRECEDING AND CURRENT ROW
    )
)
SELECT
    incident_id,
    coalesce(victim_previous_at >= reported_at - to_days(CAST($lookback_days AS INTEGER)), false)
        AS is_repeat_victim_incident,
    suspect_id IS NOT NULL
        AND coalesce(suspect_previous_at >= reported_at - to_days(CAST($lookback_days AS INTEGER)), false)
        AS is_repeat_suspect_incident,
    suspect_id IS NOT NULL AND suspect_least_victim <> suspect_greatest_victim AS is_serial_incident,
    CAST($cache_key AS VARCHAR) AS cache_key,
    CAST($data_fingerprint AS VARCHAR) AS data_fingerprint
FROM windows;
