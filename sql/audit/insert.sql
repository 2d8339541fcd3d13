INSERT INTO audit_log (occurred_at, username, role, demo, action, view, filters)
VALUES (:occurred_at, :username, :role, :demo, :action, :view, :filters);
