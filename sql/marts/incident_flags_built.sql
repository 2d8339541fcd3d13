-- The fingerprint the current incident_flags table was built for (NULL when it is empty).
SELECT any_value(cache_key) AS cache_key FROM incident_flags
