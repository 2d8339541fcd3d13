-- Where the cohort's crimes went: one row per Home Office outcome type present, type 0 (no outcome yet
-- assigned, outcome_type NULL) as 'awaiting outcome'. Selects from `cohort` (attrition/cohort).
SELECT
    c.outcome_type,
    coalesce(t.label, 'Unrecognised outcome type') AS label,
    c.crimes,
    c.crimes / sum(c.crimes) OVER ()               AS share,
    c.outcome_type IN ('15', '16')                 AS called_out
FROM (
    SELECT coalesce(outcome_type, '0') AS outcome_type, count(*) AS crimes
    FROM cohort
    GROUP BY 1
) AS c
LEFT JOIN (
    VALUES
        ('0',  0,  'Awaiting outcome (type 0)'),
        ('1',  1,  'Charged or summonsed'),
        ('1A', 2,  'Charged or summonsed (alternative offence)'),
        ('2',  3,  'Caution (youth)'),
        ('3',  4,  'Caution (adult)'),
        ('4',  5,  'Taken into consideration'),
        ('5',  6,  'Offender died'),
        ('6',  7,  'Penalty notice for disorder'),
        ('7',  8,  'Cannabis or khat warning'),
        ('8',  9,  'Community resolution'),
        ('9',  10, 'Prosecution not in the public interest (CPS)'),
        ('10', 11, 'Formal action not in the public interest (police)'),
        ('11', 12, 'Prosecution prevented: suspect under age'),
        ('12', 13, 'Prosecution prevented: suspect too ill'),
        ('13', 14, 'Prosecution prevented: victim or key witness dead or too ill'),
        ('14', 15, 'Evidential difficulties: suspect not identified, victim does not support'),
        ('15', 16, 'Evidential difficulties: suspect identified, victim supports action'),
        ('16', 17, 'Evidential difficulties: victim does not support action'),
        ('17', 18, 'Prosecution time limit expired'),
        ('18', 19, 'Investigation complete: no suspect identified'),
        ('19', 20, 'National Fraud Intelligence Bureau filed'),
        ('20', 21, 'Action undertaken by another body or agency'),
        ('21', 22, 'Further investigation not in the public interest (police)'),
        ('22', 23, 'Diversionary, educational or intervention activity')
) AS t(outcome_type, sort_key, label) USING (outcome_type)
ORDER BY coalesce(t.sort_key, 99), c.outcome_type
