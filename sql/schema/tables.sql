-- The database's tables. Every column of the extract contract (../shared/spec/extracts.md), with person
-- ids already pseudonymised (64-hex keyed hashes), datetimes as naive Europe/London local time.
-- _batch_id / _loaded_at say which load last wrote the row (upserts by record id replace the row).
-- Record ids and person ids are unique only within a force (the contract): every extract's key is
-- (force_code, its id), and every reader partitions people by force as well (the same nominal number
-- in two forces is two people). The loader keeps an extract's key unique (a record twice in a file is
-- quarantined, a changed record replaced), so the large extract tables carry no primary-key index: it
-- would only slow their load.

CREATE TABLE IF NOT EXISTS divisions (
    force_code     VARCHAR NOT NULL,
    division_code  VARCHAR NOT NULL,
    division_name  VARCHAR NOT NULL,
    _batch_id      VARCHAR,
    _loaded_at     TIMESTAMP,
    PRIMARY KEY (force_code, division_code)
);

CREATE TABLE IF NOT EXISTS csps (
    csp_code                 VARCHAR PRIMARY KEY,
    csp_name                 VARCHAR NOT NULL,
    force_code               VARCHAR NOT NULL,
    division_code            VARCHAR NOT NULL,
    population               BIGINT,
    population_16plus        BIGINT,
    population_female_16plus BIGINT,
    _batch_id                VARCHAR,
    _loaded_at               TIMESTAMP
);

CREATE TABLE IF NOT EXISTS offence_codes (
    offence_code        VARCHAR PRIMARY KEY,
    offence_description VARCHAR NOT NULL,
    offence_group       VARCHAR NOT NULL,
    is_homicide         BOOLEAN NOT NULL,
    _batch_id           VARCHAR,
    _loaded_at          TIMESTAMP
);

CREATE TABLE IF NOT EXISTS incidents (
    incident_id        VARCHAR NOT NULL,
    force_code         VARCHAR NOT NULL,
    reported_at        TIMESTAMP NOT NULL,
    division_code      VARCHAR NOT NULL,
    csp_code           VARCHAR NOT NULL,
    victim_id          VARCHAR NOT NULL,
    suspect_id         VARCHAR,
    relationship       VARCHAR NOT NULL,
    victim_sex         VARCHAR,
    suspect_sex        VARCHAR,
    victim_age         INTEGER,
    suspect_age        INTEGER,
    victim_ethnicity   VARCHAR,
    victim_disability  VARCHAR,
    call_grade         VARCHAR,
    attended_at        TIMESTAMP,
    risk_tool          VARCHAR,
    risk_level         VARCHAR NOT NULL,
    children_present   BOOLEAN,
    power_of_arrest    BOOLEAN,
    no_arrest_reason   VARCHAR,
    crime_ref          VARCHAR,
    offence_code       VARCHAR,
    crime_recorded_at  TIMESTAMP,
    outcome_type       VARCHAR,   -- '1', '1A', '2' … '22'; NULL = not yet assigned (type 0)
    outcome_at         TIMESTAMP,
    cps_decision       VARCHAR,
    cps_decision_at    TIMESTAMP,
    court_result       VARCHAR,
    court_result_at    TIMESTAMP,
    _batch_id          VARCHAR,
    _loaded_at         TIMESTAMP
);

CREATE TABLE IF NOT EXISTS arrests (
    arrest_id         VARCHAR NOT NULL,
    force_code        VARCHAR NOT NULL,
    incident_id       VARCHAR,          -- may name an incident not (yet) loaded: kept, reported as orphan
    suspect_id        VARCHAR NOT NULL,
    arrested_at       TIMESTAMP NOT NULL,
    division_code     VARCHAR NOT NULL,
    custody_disposal  VARCHAR,
    disposal_at       TIMESTAMP,
    _batch_id         VARCHAR,
    _loaded_at        TIMESTAMP
);

CREATE TABLE IF NOT EXISTS protective_orders (
    notice_id         VARCHAR NOT NULL,
    force_code        VARCHAR NOT NULL,
    scheme            VARCHAR NOT NULL,
    incident_id       VARCHAR,
    suspect_id        VARCHAR NOT NULL,
    victim_id         VARCHAR NOT NULL,
    division_code     VARCHAR NOT NULL,
    csp_code          VARCHAR NOT NULL,
    authorised_rank   VARCHAR,
    served_at         TIMESTAMP NOT NULL,
    order_applied_at  TIMESTAMP,
    hearing_at        TIMESTAMP,
    order_outcome     VARCHAR,
    order_expires_at  DATE,
    breaches          INTEGER,
    _batch_id         VARCHAR,
    _loaded_at        TIMESTAMP
);

CREATE TABLE IF NOT EXISTS dvds (
    application_id       VARCHAR NOT NULL,
    force_code           VARCHAR NOT NULL,
    route                VARCHAR NOT NULL,
    received_at          TIMESTAMP NOT NULL,
    division_code        VARCHAR NOT NULL,
    csp_code             VARCHAR NOT NULL,
    applicant_type       VARCHAR,
    subject_id           VARCHAR NOT NULL,
    potential_victim_id  VARCHAR,
    initial_checks_at    TIMESTAMP,
    risk_level           VARCHAR,
    decision             VARCHAR,
    decision_at          TIMESTAMP,
    disclosed_at         TIMESTAMP,
    _batch_id            VARCHAR,
    _loaded_at           TIMESTAMP
);

CREATE TABLE IF NOT EXISTS marac (
    case_id                VARCHAR NOT NULL,
    force_code             VARCHAR NOT NULL,
    csp_code               VARCHAR NOT NULL,
    victim_id              VARCHAR NOT NULL,
    referral_at            TIMESTAMP NOT NULL,
    referring_agency       VARCHAR NOT NULL,
    referral_criterion     VARCHAR,
    heard_at               DATE,
    repeat_flag            BOOLEAN,
    victim_sex             VARCHAR,
    victim_age             INTEGER,
    victim_ethnicity       VARCHAR,
    victim_disability      VARCHAR,
    victim_lgbt            VARCHAR,
    children_in_household  INTEGER,
    idva_engaged           BOOLEAN,
    actions_agreed         INTEGER,
    actions_completed      INTEGER,
    _batch_id              VARCHAR,
    _loaded_at             TIMESTAMP
);

-- Rows that broke a rule, kept with the rule (person ids in row_json are pseudonymised like the rest).
CREATE TABLE IF NOT EXISTS quarantine (
    batch_id     VARCHAR NOT NULL,
    table_name   VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    row_number   BIGINT NOT NULL,      -- 1-based data row in the file (header excluded)
    record_id    VARCHAR,
    rule         VARCHAR NOT NULL,     -- short machine name of the rule, e.g. attended_before_reported
    column_name  VARCHAR,
    message      VARCHAR NOT NULL,     -- what is wrong and how to fix it
    row_json     VARCHAR,
    quarantined_at TIMESTAMP NOT NULL
);

-- The audit of every batch and every file in it.
CREATE TABLE IF NOT EXISTS load_batches (
    batch_id     VARCHAR PRIMARY KEY,
    source_dir   VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    status       VARCHAR NOT NULL,     -- loaded | refused
    message      VARCHAR
);

CREATE TABLE IF NOT EXISTS load_files (
    batch_id      VARCHAR NOT NULL,
    table_name    VARCHAR NOT NULL,
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_inserted BIGINT NOT NULL,
    rows_updated  BIGINT NOT NULL,
    rows_unchanged BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL
);

-- Comparator figures (docs/COMPARATORS.md): one row per force, period and measure, from published tables,
-- other forces' exports (daperf export-comparators) or the demo's synthetic national run. Values are in
-- the measure's own units (a share as a fraction 0-1); a number a table withholds is NULL.
CREATE TABLE IF NOT EXISTS comparators (
    force_code    VARCHAR NOT NULL,
    force_name    VARCHAR,
    period_from   DATE NOT NULL,
    period_to     DATE NOT NULL,
    metric_id     VARCHAR NOT NULL,
    numerator     DOUBLE,
    denominator   DOUBLE,
    value         DOUBLE,
    source        VARCHAR NOT NULL,
    published_on  DATE,
    _batch_id     VARCHAR,
    _loaded_at    TIMESTAMP,
    PRIMARY KEY (force_code, metric_id, period_from, period_to)
);

-- Most similar groups (HMICFRS): each force's peers, up to seven, not symmetric. source says whose groups
-- they are ("illustrative" for the demo's).
CREATE TABLE IF NOT EXISTS msg (
    force_code       VARCHAR NOT NULL,
    peer_force_code  VARCHAR NOT NULL,
    source           VARCHAR,
    _batch_id        VARCHAR,
    _loaded_at       TIMESTAMP,
    PRIMARY KEY (force_code, peer_force_code)
);
