-- One row per arrest: a division of its own; the partnership (and nothing else) of the incident it arose
-- from, in the same force. An arrest naming an incident not loaded is kept (incident_found false) and
-- counts at force and division level only.
CREATE OR REPLACE TABLE fact_arrests AS
SELECT
    a.*,
    i.csp_code,
    i.incident_id IS NOT NULL AS incident_found
FROM stg_arrests AS a
LEFT JOIN stg_incidents AS i ON i.force_code = a.force_code AND i.incident_id = a.incident_id
ORDER BY a.force_code, a.arrested_at;
