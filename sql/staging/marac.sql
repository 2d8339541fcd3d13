-- Staging: MARAC cases, with the victim attributes the representation shares count.
CREATE OR REPLACE VIEW stg_marac AS
SELECT
    m.* EXCLUDE (_batch_id, _loaded_at),
    m.referring_agency <> 'police'                                             AS partner_referral,
    m.actions_agreed IS NOT NULL AND m.actions_completed IS NOT NULL            AS actions_recorded,
    coalesce(m.victim_ethnicity IN ('asian', 'black', 'mixed', 'white', 'other'), false) AS ethnicity_known,
    coalesce(m.victim_ethnicity IN ('asian', 'black', 'mixed', 'other'), false) AS racially_minoritised,
    coalesce(m.victim_lgbt IN ('yes', 'no'), false)                            AS lgbt_known,
    coalesce(m.victim_lgbt = 'yes', false)                                     AS lgbt,
    coalesce(m.victim_disability IN ('yes', 'no'), false)                      AS disability_known,
    coalesce(m.victim_disability = 'yes', false)                               AS disabled,
    coalesce(m.victim_sex IN ('female', 'male', 'other'), false)               AS sex_known,
    coalesce(m.victim_sex = 'male', false)                                     AS male,
    m.victim_age IS NOT NULL                                                   AS age_known,
    coalesce(m.victim_age BETWEEN 16 AND 17, false)                            AS aged_16_17
FROM marac AS m;
