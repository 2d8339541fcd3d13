-- High-risk incidents since the last meeting, and whether the victim has been referred to MARAC since:
-- a referral dated from the incident's date to $marac_referral_window_days after it (the rule of
-- high_risk_marac_referral_rate), made by the meeting time.
SELECT
    i.incident_id,
    i.reported_at,
    i.division_code,
    i.csp_code,
    left(i.victim_id, 12)   AS victim_ref,
    left(i.suspect_id, 12)  AS suspect_ref,
    min(m.referral_at) IS NOT NULL AS marac_referred,
    min(m.referral_at)      AS marac_referral_at
FROM incidents AS i
LEFT JOIN marac AS m
       ON m.victim_id = i.victim_id
      AND CAST(m.referral_at AS DATE) >= CAST(i.reported_at AS DATE)
      AND CAST(m.referral_at AS DATE) <= CAST(i.reported_at AS DATE) + CAST($marac_referral_window_days AS INTEGER)
      AND m.referral_at <= $window_end
WHERE i.risk_level = 'high'
  AND i.reported_at >= $window_start AND i.reported_at < $window_end
  AND ($division_code IS NULL OR i.division_code = $division_code)
GROUP BY i.incident_id, i.reported_at, i.division_code, i.csp_code, i.victim_id, i.suspect_id
ORDER BY marac_referred, i.division_code, i.reported_at, i.incident_id
