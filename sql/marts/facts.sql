-- The marts every metric query stands on: created per connection as TEMP macros (no rows are copied,
-- so a query always sees the current tables). Each rule of placement and of what a record "is" lives here
-- once; the metric queries in sql/metrics/ count on top.

-- A period is inclusive: from period_from 00:00 to period_to 23:59:59.999999.
CREATE OR REPLACE TEMP MACRO in_period(ts, period_from, period_to) AS
    ts >= CAST(period_from AS TIMESTAMP) AND ts < CAST(period_to AS TIMESTAMP) + INTERVAL 1 DAY;

-- The unit a record counts in at a level: the force, or the division / CSP the record carries.
-- NULL = cannot be placed at that level (it then counts at force level only).
CREATE OR REPLACE TEMP MACRO unit_at(level, force_code, division_code, csp_code) AS
    CASE level WHEN 'force' THEN force_code WHEN 'division' THEN division_code WHEN 'csp' THEN csp_code END;

-- The month a record falls in when a monthly series is asked for (NULL when the whole period is).
CREATE OR REPLACE TEMP MACRO month_of(ts, by_month) AS
    CASE WHEN by_month THEN CAST(date_trunc('month', ts) AS DATE) END;

-- The headline row, and each breakdown row when breakdowns are asked for.
CREATE OR REPLACE TEMP MACRO breakdown_rows(breakdown_list, with_breakdowns) AS
    [{'breakdown': CAST(NULL AS VARCHAR), 'breakdown_value': CAST(NULL AS VARCHAR)}]
    || CASE WHEN with_breakdowns THEN breakdown_list
            ELSE CAST([] AS STRUCT(breakdown VARCHAR, breakdown_value VARCHAR)[]) END;

CREATE OR REPLACE TEMP MACRO age_band(age) AS
    CASE WHEN age IS NULL THEN 'not_known'
         WHEN age < 16 THEN 'under_16'
         WHEN age <= 17 THEN '16-17'
         WHEN age <= 24 THEN '18-24'
         WHEN age <= 34 THEN '25-34'
         WHEN age <= 44 THEN '35-44'
         WHEN age <= 54 THEN '45-54'
         WHEN age <= 64 THEN '55-64'
         ELSE '65+' END;

-- Incidents with what they are as crimes and outcomes, and the breakdowns the dashboard offers.
--   crime_at: a crime is an incident with a crime_ref, dated by crime_recorded_at.
--   outcome_assigned_at: an outcome of type 1-22 (NULL = type 0, never counted), dated by outcome_at.
CREATE OR REPLACE TEMP MACRO incident_base() AS TABLE
SELECT
    i.*,
    CASE WHEN i.crime_ref IS NOT NULL THEN i.crime_recorded_at END AS crime_at,
    CASE WHEN i.crime_ref IS NOT NULL
          AND i.outcome_type IN ('1', '1A', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13',
                                 '14', '15', '16', '17', '18', '19', '20', '21', '22')
         THEN i.outcome_at END AS outcome_assigned_at,
    coalesce(o.is_homicide, false) AS is_homicide,
    [
        {'breakdown': 'relationship', 'breakdown_value': i.relationship},
        {'breakdown': 'victim_sex', 'breakdown_value': coalesce(i.victim_sex, 'not_known')},
        {'breakdown': 'age_band', 'breakdown_value': age_band(i.victim_age)},
        {'breakdown': 'victim_ethnicity', 'breakdown_value': coalesce(i.victim_ethnicity, 'not_known')},
        {'breakdown': 'victim_disability', 'breakdown_value': coalesce(i.victim_disability, 'not_known')},
        {'breakdown': 'risk_level', 'breakdown_value': i.risk_level},
        {'breakdown': 'children_present', 'breakdown_value':
            CASE i.children_present WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'not_known' END},
        {'breakdown': 'offence_group', 'breakdown_value':
            CASE WHEN i.crime_ref IS NULL THEN 'no_crime_recorded' ELSE coalesce(o.offence_group, 'unknown') END},
        {'breakdown': 'call_grade', 'breakdown_value': coalesce(i.call_grade, 'not_known')}
    ] AS breakdown_list
FROM incidents AS i
LEFT JOIN offence_codes AS o ON o.offence_code = i.offence_code;

-- Incidents with their look-back flags (the temp table incident_flags, built by
-- sql/marts/incident_flags.sql and rebuilt whenever the incidents change).
CREATE OR REPLACE TEMP MACRO incident_facts() AS TABLE
SELECT b.*, f.is_repeat_victim_incident, f.is_repeat_suspect_incident, f.is_serial_incident
FROM incident_base() AS b
JOIN incident_flags AS f ON f.incident_id = b.incident_id;

-- Arrests: a division of their own; the CSP (and nothing else) from the incident they arose from.
CREATE OR REPLACE TEMP MACRO arrest_facts() AS TABLE
SELECT a.*, i.csp_code
FROM arrests AS a
LEFT JOIN incidents AS i ON i.incident_id = a.incident_id;

-- MARAC cases: the division of their CSP from the csps reference table; a repeat is the MARAC's own
-- repeat_flag where recorded, else a referral of the same victim within the N days before this one.
CREATE OR REPLACE TEMP MACRO marac_facts(lookback_days) AS TABLE
WITH previous AS (
    SELECT
        m.*,
        c.division_code,
        max(m.referral_at) OVER (
            PARTITION BY m.victim_id ORDER BY m.referral_at
            RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING
        ) AS victim_previous_referral_at
    FROM marac AS m
    LEFT JOIN csps AS c ON c.csp_code = m.csp_code
)
SELECT
    previous.*,
    coalesce(repeat_flag,
             coalesce(victim_previous_referral_at >= referral_at - to_days(CAST(lookback_days AS INTEGER)), false))
        AS is_repeat
FROM previous;

-- The units of a level with their names and populations (a division's and the force's are the sums of
-- their CSPs'; unknown when any CSP's is unknown).
CREATE OR REPLACE TEMP MACRO level_units(level) AS TABLE
WITH csp_units AS (
    SELECT
        unit_at(level, force_code, division_code, csp_code) AS unit_code,
        population, population_16plus, population_female_16plus
    FROM csps
), populations AS (
    SELECT
        unit_code,
        CASE WHEN count(population) = count(*) THEN sum(population) END AS population,
        CASE WHEN count(population_16plus) = count(*) THEN sum(population_16plus) END AS population_16plus,
        CASE WHEN count(population_female_16plus) = count(*) THEN sum(population_female_16plus) END
            AS population_female_16plus
    FROM csp_units
    GROUP BY unit_code
), named AS (
    SELECT DISTINCT force_code AS unit_code, force_code AS unit_name FROM divisions WHERE level = 'force'
    UNION
    SELECT DISTINCT force_code, force_code FROM csps WHERE level = 'force'
    UNION
    SELECT division_code, division_name FROM divisions WHERE level = 'division'
    UNION
    SELECT csp_code, csp_name FROM csps WHERE level = 'csp'
)
SELECT
    coalesce(n.unit_code, p.unit_code) AS unit_code,
    coalesce(n.unit_name, p.unit_code) AS unit_name,
    p.population, p.population_16plus, p.population_female_16plus
FROM named AS n
FULL JOIN populations AS p ON p.unit_code = n.unit_code;
