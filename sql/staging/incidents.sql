-- Staging: incidents as the marts read them. Every value is already typed and coded by the loader; here
-- each breakdown gets its band (a record with no code is "not_known", never missing), and the codes that
-- say what a record is become named booleans. No rule that needs another table lives here.
CREATE OR REPLACE VIEW stg_incidents AS
SELECT
    i.* EXCLUDE (_batch_id, _loaded_at),
    i.suspect_id IS NOT NULL                                     AS has_suspect,
    i.crime_ref IS NOT NULL                                      AS is_crime,
    i.risk_level <> 'not_assessed'                               AS risk_assessed,
    i.risk_level = 'high'                                        AS high_risk,
    coalesce(i.power_of_arrest, false)                           AS had_power_of_arrest,
    i.no_arrest_reason IS NOT NULL                               AS no_arrest_reason_recorded,
    -- Breakdown bands.
    CASE WHEN i.victim_age IS NULL THEN 'not_known'
         WHEN i.victim_age < 16 THEN 'under_16'
         WHEN i.victim_age <= 17 THEN '16-17'
         WHEN i.victim_age <= 24 THEN '18-24'
         WHEN i.victim_age <= 34 THEN '25-34'
         WHEN i.victim_age <= 44 THEN '35-44'
         WHEN i.victim_age <= 54 THEN '45-54'
         WHEN i.victim_age <= 64 THEN '55-64'
         ELSE '65+' END                                          AS age_band,
    coalesce(i.victim_sex, 'not_known')                          AS victim_sex_band,
    coalesce(i.victim_ethnicity, 'not_known')                    AS victim_ethnicity_band,
    coalesce(i.victim_disability, 'not_known')                   AS victim_disability_band,
    CASE i.children_present WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'not_known' END
                                                                 AS children_present_band,
    coalesce(i.call_grade, 'not_known')                          AS call_grade_band
FROM incidents AS i;
