-- Fingerprint of what the look-back flags depend on (which incidents, their victim, suspect and time,
-- and the look-back): the flags are rebuilt when it changes.
SELECT
    CAST(count(*) AS VARCHAR) || ':'
    || CAST(coalesce(sum(hash(incident_id, victim_id, suspect_id, reported_at)), 0) AS VARCHAR) || ':'
    || CAST($lookback_days AS VARCHAR) AS cache_key
FROM incidents
