-- MARAC cases heard in the period (heard_at), placed at their CSP and that CSP's division.
--   no further incident: the victim has no incident (any CSP) in the N days after the meeting day; only
--   cases whose N days end on or before the last day the incidents extract reaches are counted.
--   representation shares: over the cases where the attribute is known.
WITH heard AS (
    SELECT *
    FROM marac_facts($lookback_days)
    WHERE heard_at >= CAST($period_from AS DATE) AND heard_at <= CAST($period_to AS DATE)
), data_end AS (
    SELECT CAST(max(reported_at) AS DATE) AS last_day FROM incidents
), followed AS (
    SELECT
        h.*,
        h.heard_at + CAST($no_further_incident_days AS INTEGER) <= e.last_day AS has_follow_up,
        EXISTS (
            SELECT 1 FROM incidents AS i
            WHERE i.victim_id = h.victim_id
              AND CAST(i.reported_at AS DATE) >= h.heard_at + 1
              AND CAST(i.reported_at AS DATE) <= h.heard_at + CAST($no_further_incident_days AS INTEGER)
        ) AS further_incident
    FROM heard AS h
    CROSS JOIN data_end AS e
), placed AS (
    SELECT
        month_of(CAST(heard_at AS TIMESTAMP), $by_month) AS month,
        *
    FROM followed
)
SELECT
    force_code, division_code, csp_code, month,
    CAST(NULL AS VARCHAR) AS breakdown, CAST(NULL AS VARCHAR) AS breakdown_value,
    count(*) AS marac_cases__num,
    count(*) FILTER (WHERE is_repeat) AS marac_repeat_rate__num,
    count(*) AS marac_repeat_rate__den,
    count(*) FILTER (WHERE referring_agency <> 'police') AS marac_partner_referral_share__num,
    count(*) AS marac_partner_referral_share__den,
    coalesce(sum(actions_completed) FILTER (WHERE actions_agreed IS NOT NULL AND actions_completed IS NOT NULL), 0)
        AS marac_actions_completed_rate__num,
    coalesce(sum(actions_agreed) FILTER (WHERE actions_agreed IS NOT NULL AND actions_completed IS NOT NULL), 0)
        AS marac_actions_completed_rate__den,
    count(*) FILTER (WHERE has_follow_up AND NOT further_incident) AS marac_no_further_incident_6m_rate__num,
    count(*) FILTER (WHERE has_follow_up) AS marac_no_further_incident_6m_rate__den,
    count(*) FILTER (WHERE victim_ethnicity IN ('asian', 'black', 'mixed', 'other'))
        AS marac_share_racially_minoritised__num,
    count(*) FILTER (WHERE victim_ethnicity IN ('asian', 'black', 'mixed', 'other', 'white'))
        AS marac_share_racially_minoritised__den,
    count(*) FILTER (WHERE victim_lgbt = 'yes') AS marac_share_lgbt__num,
    count(*) FILTER (WHERE victim_lgbt IN ('yes', 'no')) AS marac_share_lgbt__den,
    count(*) FILTER (WHERE victim_disability = 'yes') AS marac_share_disabled__num,
    count(*) FILTER (WHERE victim_disability IN ('yes', 'no')) AS marac_share_disabled__den,
    count(*) FILTER (WHERE victim_sex = 'male') AS marac_share_male__num,
    count(*) FILTER (WHERE victim_sex IN ('female', 'male', 'other')) AS marac_share_male__den,
    count(*) FILTER (WHERE victim_age BETWEEN 16 AND 17) AS marac_share_aged_16_17__num,
    count(*) FILTER (WHERE victim_age IS NOT NULL) AS marac_share_aged_16_17__den
FROM placed
GROUP BY ALL
