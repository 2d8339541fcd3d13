-- The division a partnership belongs to (dim_units), for the access check on record-level views.
SELECT division_code FROM dim_units WHERE level = 'csp' AND unit_code = $unit_code
