-- Staging: Clare's Law applications, with what their decision is.
CREATE OR REPLACE VIEW stg_dvds AS
SELECT
    d.* EXCLUDE (_batch_id, _loaded_at),
    coalesce(d.decision IN ('disclosure', 'no_disclosure'), false)              AS decided,
    coalesce(d.decision = 'disclosure', false)                                 AS disclosed,
    -- When the application stopped needing action (decided either way, or withdrawn).
    CASE WHEN d.decision IN ('disclosure', 'no_disclosure', 'withdrawn')
         THEN coalesce(d.decision_at, d.received_at) END                       AS closed_at
FROM dvds AS d;
