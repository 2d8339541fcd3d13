-- One force's most similar group: its peers, whether the group is illustrative, and its source.
SELECT peer_force_code, illustrative, source
FROM mart_msg
WHERE force_code = $force_code
ORDER BY peer_force_code
