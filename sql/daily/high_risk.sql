-- High-risk incidents since the last meeting, and whether the victim has been referred to MARAC by the
-- meeting time: the referral the marts found (fact_incidents.marac_referral_at, the first in the window
-- of high_risk_marac_referral_rate) made by then.
SELECT
    i.incident_id,
    i.reported_at,
    i.division_code,
    i.csp_code,
    left(i.victim_id, 12)   AS victim_ref,
    left(i.suspect_id, 12)  AS suspect_ref,
    coalesce(i.marac_referral_at <= $window_end, false) AS marac_referred,
    CASE WHEN i.marac_referral_at <= $window_end THEN i.marac_referral_at END AS marac_referral_at
FROM fact_incidents AS i
WHERE i.high_risk
  AND i.reported_at >= $window_start AND i.reported_at < $window_end
  AND i.force_code IN (SELECT unnest($forces))
  AND ($division_code IS NULL OR i.division_code = $division_code)
ORDER BY marac_referred, i.division_code, i.reported_at, i.incident_id
