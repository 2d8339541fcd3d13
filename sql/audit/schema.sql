-- The audit log (SQLite, its own file: see docs/DEPLOYMENT.md). Append-only: the triggers refuse any
-- UPDATE or DELETE, so nothing in the app can rewrite who looked at what.
CREATE TABLE IF NOT EXISTS audit_log (
    audit_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at  TEXT    NOT NULL,  -- UTC, ISO 8601 with seconds
    username     TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    demo         INTEGER NOT NULL CHECK (demo IN (0, 1)),
    action       TEXT    NOT NULL CHECK (action IN ('view', 'export', 'refused')),
    view         TEXT    NOT NULL,
    filters      TEXT    NOT NULL   -- JSON object of the filter values (codes and dates only)
);

CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (occurred_at);

CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'The audit log is append-only: rows cannot be changed');
END;

CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'The audit log is append-only: rows cannot be deleted');
END;
