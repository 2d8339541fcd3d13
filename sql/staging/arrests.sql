-- Staging: arrests, with what their custody disposal is.
CREATE OR REPLACE VIEW stg_arrests AS
SELECT
    a.* EXCLUDE (_batch_id, _loaded_at),
    a.custody_disposal = 'bail_conditions'                                     AS bail_conditions,
    coalesce(a.custody_disposal IN ('bail_conditions', 'bail_no_conditions', 'rui'), false) AS bail_or_rui
FROM arrests AS a;
