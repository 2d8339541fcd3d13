-- The newest entries first; each filter is optional (NULL = any).
SELECT audit_id, occurred_at, username, role, demo, action, view, filters
FROM audit_log
WHERE (:username IS NULL OR username = :username)
  AND (:action IS NULL OR action = :action)
  AND (:since IS NULL OR occurred_at >= :since)
ORDER BY audit_id DESC
LIMIT :limit;
