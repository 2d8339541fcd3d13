-- The audit log is append-only in the database as well as in the code: no UPDATE, DELETE or TRUNCATE.
-- (A superuser or the table's owner can still drop these triggers; the hash chain is what shows any
-- change: `daperf audit verify`.) Statements are separated by a blank line.
CREATE OR REPLACE FUNCTION daperf_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only: rows cannot be changed or deleted';
END;
$body$;

CREATE OR REPLACE TRIGGER daperf_audit_log_no_change BEFORE UPDATE OR DELETE ON daperf_audit_log
    FOR EACH ROW EXECUTE FUNCTION daperf_audit_log_append_only();

CREATE OR REPLACE TRIGGER daperf_audit_log_no_truncate BEFORE TRUNCATE ON daperf_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION daperf_audit_log_append_only();
