-- The division a unit belongs to, for the access check on record-level views: a division is its own,
-- a CSP carries its division in the reference table, the force has none.
SELECT CASE
    WHEN $level = 'division' THEN $unit_code
    WHEN $level = 'csp' THEN (SELECT division_code FROM csps WHERE csp_code = $unit_code)
END AS division_code
