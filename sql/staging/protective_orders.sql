-- Staging: protection notices and the orders applied for after them.
--   applied: an application date recorded, or an outcome only an application can have.
CREATE OR REPLACE VIEW stg_protective_orders AS
SELECT
    p.* EXCLUDE (_batch_id, _loaded_at),
    p.order_applied_at IS NOT NULL
        OR coalesce(p.order_outcome IN ('granted', 'refused', 'withdrawn', 'adjourned'), false) AS applied,
    coalesce(p.order_outcome = 'granted', false)                                AS granted,
    coalesce(p.order_outcome IN ('granted', 'refused'), false)                 AS granted_or_refused,
    coalesce(p.order_outcome = 'granted' AND p.breaches >= 1, false)           AS breached,
    -- No hearing is awaited for a notice whose order was not applied for, or was withdrawn.
    coalesce(p.order_outcome, '') NOT IN ('not_applied', 'withdrawn')           AS needs_hearing
FROM protective_orders AS p;
