-- What the current incident_flags table was built for: cache_key (the incidents' fingerprint and the
-- look-back) and data_fingerprint (all the data's, reused as is on a read-only database, whose data
-- cannot change under the connection). NULLs when the table is empty.
SELECT any_value(cache_key) AS cache_key, any_value(data_fingerprint) AS data_fingerprint FROM incident_flags
