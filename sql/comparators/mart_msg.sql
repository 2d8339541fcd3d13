-- Each force's most similar group: the peers given by the newest batch that gave the force a group (a
-- load replaces a group, never adds to it: upserts keep rows a later file leaves out, so an older
-- illustrative group would otherwise linger beside the published one). A source starting
-- "illustrative" marks a group that is not HMICFRS's published one (the demo's).
CREATE OR REPLACE TABLE mart_msg AS
SELECT
    force_code,
    peer_force_code,
    coalesce(source, '') AS source,
    lower(trim(coalesce(source, ''))) LIKE 'illustrative%' AS illustrative
FROM msg
WHERE force_code <> peer_force_code
QUALIFY _batch_id = max(_batch_id) OVER (PARTITION BY force_code)
ORDER BY force_code, peer_force_code;
