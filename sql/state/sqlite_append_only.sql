-- The audit log is append-only in the database as well as in the code: no UPDATE or DELETE of a row.
-- (The file's owner can still drop these triggers; the hash chain is what shows any change:
-- `daperf audit verify`.) Statements are separated by a blank line.
CREATE TRIGGER IF NOT EXISTS daperf_audit_log_no_update BEFORE UPDATE ON daperf_audit_log
BEGIN
    SELECT RAISE(ABORT, 'The audit log is append-only: rows cannot be changed');
END;

CREATE TRIGGER IF NOT EXISTS daperf_audit_log_no_delete BEFORE DELETE ON daperf_audit_log
BEGIN
    SELECT RAISE(ABORT, 'The audit log is append-only: rows cannot be deleted');
END;
