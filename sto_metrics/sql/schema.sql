-- name: create_schema
-- The canonical tables; see docs/ARCHITECTURE.md. Idempotent.
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS vo_enrolment (
    load_id INTEGER, pupil_hash VARCHAR, school_year INTEGER, school_id VARCHAR,
    education_type VARCHAR, leerweg VARCHAR, leerjaar INTEGER,
    profile_code VARCHAR, profile_unknown BOOLEAN, gender VARCHAR, diploma BOOLEAN,
    is_chosen BOOLEAN,  -- the pupil's one record of the year (chosen_refresh in sql/load.sql); NULL = not decided yet
    pupil_number INTEGER  -- the pupil's number in `pupil`; NULL = not numbered yet
);
-- A database from before the stored flag gets the column empty; db.connect decides it for every row (chosen.py).
ALTER TABLE vo_enrolment ADD COLUMN IF NOT EXISTS is_chosen BOOLEAN;
CREATE TABLE IF NOT EXISTS mbo_enrolment (
    load_id INTEGER, pupil_hash VARCHAR, school_year INTEGER, institution_id VARCHAR,
    programme_code VARCHAR, programme_name VARCHAR, level INTEGER, route VARCHAR,
    sector_code VARCHAR, pupil_number INTEGER
);
CREATE TABLE IF NOT EXISTS ho_enrolment (
    load_id INTEGER, pupil_hash VARCHAR, school_year INTEGER, institution_id VARCHAR,
    programme_code VARCHAR, programme_name VARCHAR, ho_type VARCHAR,
    sector_code VARCHAR, pupil_number INTEGER
);
-- Every pupil some enrolment row names, by a compact number: the metrics join enrolments on the INTEGER, not on the
-- 64-character hash. Each write of pupil rows numbers its new pupils in its own transaction (sql/load.sql); a number
-- never changes while its pupil has rows; a removal takes out the pupils no row names any more. No PRIMARY KEY: its
-- index would cost every load memory and time, and the only writers add hashes not found in it (an anti-join or a
-- left join's misses; tests/test_pupil_number.py checks one number per hash).
CREATE TABLE IF NOT EXISTS pupil (pupil_hash VARCHAR, pupil_number INTEGER);
-- A database from before the numbers gets the columns empty; db.connect numbers every row (number_unset_pupils).
ALTER TABLE vo_enrolment ADD COLUMN IF NOT EXISTS pupil_number INTEGER;
ALTER TABLE mbo_enrolment ADD COLUMN IF NOT EXISTS pupil_number INTEGER;
ALTER TABLE ho_enrolment ADD COLUMN IF NOT EXISTS pupil_number INTEGER;
CREATE TABLE IF NOT EXISTS school (
    school_id VARCHAR PRIMARY KEY, name VARCHAR, school_type VARCHAR, board VARCHAR
);
CREATE TABLE IF NOT EXISTS load_log (
    load_id INTEGER PRIMARY KEY, file_name VARCHAR, content_hash VARCHAR, kind VARCHAR,
    rows_read INTEGER, rows_loaded INTEGER, problems VARCHAR, loaded_at TIMESTAMP,
    replaced_by INTEGER
);
-- Load ids come from a sequence so that a removed load's id is never issued again (the dashboard's cache key
-- relies on it); in a database made before the sequence existed it first moves past the highest id in the log.
CREATE SEQUENCE IF NOT EXISTS load_id_seq;
SELECT max(nextval('load_id_seq'))
FROM range(greatest(0, (SELECT coalesce(max(load_id), 0) FROM load_log)
                       - coalesce((SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'load_id_seq' AND database_name = current_database()), 0)));
CREATE TABLE IF NOT EXISTS load_scope (load_id INTEGER, school_id VARCHAR, school_year INTEGER);
-- The region's activities register (docs/data-contract.md): one row per activity per school or group; head counts.
-- school_id NULL = no vo school (a primary school's week, a regional day); school_label keeps what the file said then.
CREATE TABLE IF NOT EXISTS activity (
    load_id INTEGER, activity_id VARCHAR, name VARCHAR, activity_type VARCHAR, school_year INTEGER,
    activity_date DATE, school_id VARCHAR, school_label VARCHAR, leerjaar INTEGER,
    participants INTEGER, girls INTEGER
);
-- Participant lists: which pupils (pseudonymised like vo_enrolment.pupil_hash) took part in an activity.
CREATE TABLE IF NOT EXISTS activity_participant (load_id INTEGER, activity_id VARCHAR, pupil_hash VARCHAR);
-- The activity kinds (data/reference/activity_types.csv): the region may add its own.
CREATE TABLE IF NOT EXISTS ref_activity_type (code VARCHAR, name VARCHAR);
-- Rows and scope a --replace load took over, kept so that removing that load brings them back (replaced_by: the load
-- that took them over); the dashboard never reads them.
CREATE TABLE IF NOT EXISTS replaced_vo_enrolment AS SELECT *, NULL::INTEGER AS replaced_by FROM vo_enrolment WHERE false;
CREATE TABLE IF NOT EXISTS replaced_mbo_enrolment AS SELECT *, NULL::INTEGER AS replaced_by FROM mbo_enrolment WHERE false;
ALTER TABLE replaced_vo_enrolment ADD COLUMN IF NOT EXISTS is_chosen BOOLEAN;
CREATE TABLE IF NOT EXISTS replaced_ho_enrolment AS SELECT *, NULL::INTEGER AS replaced_by FROM ho_enrolment WHERE false;
ALTER TABLE replaced_vo_enrolment ADD COLUMN IF NOT EXISTS pupil_number INTEGER;
ALTER TABLE replaced_mbo_enrolment ADD COLUMN IF NOT EXISTS pupil_number INTEGER;
ALTER TABLE replaced_ho_enrolment ADD COLUMN IF NOT EXISTS pupil_number INTEGER;
CREATE TABLE IF NOT EXISTS replaced_load_scope AS SELECT *, NULL::INTEGER AS replaced_by FROM load_scope WHERE false;
CREATE TABLE IF NOT EXISTS ref_profile (
    code VARCHAR, name VARCHAR, level VARCHAR, technical BOOLEAN, is_dp BOOLEAN,
    contains_nt BOOLEAN, contains_n BOOLEAN
);
CREATE TABLE IF NOT EXISTS ref_mbo_sector (code VARCHAR, name VARCHAR, technical BOOLEAN);
CREATE TABLE IF NOT EXISTS ref_ho_sector (code VARCHAR, name VARCHAR, technical BOOLEAN);
CREATE TABLE IF NOT EXISTS ref_alias (domain VARCHAR, alias VARCHAR, value VARCHAR);
-- The region's own crebo/CROHO-to-sector mapping, for exports without a sector column.
CREATE TABLE IF NOT EXISTS ref_programme_sector (kind VARCHAR, programme_code VARCHAR, sector_code VARCHAR);
-- DUO's public open data (national comparison; see docs/ARCHITECTURE.md). Counts carry bounds: a '<5'
-- cell is stored as count_min 1, count_max 4; an exact count n as n, n.
CREATE TABLE IF NOT EXISTS duo_vo_pupils (
    load_id INTEGER, school_year INTEGER, school_id VARCHAR, school_name VARCHAR, place VARCHAR, province VARCHAR,
    education_type VARCHAR, leerweg VARCHAR, leerjaar INTEGER, profile_code VARCHAR, gender VARCHAR,
    count_min INTEGER, count_max INTEGER
);
CREATE TABLE IF NOT EXISTS duo_exam_candidates (
    load_id INTEGER, school_year INTEGER, school_id VARCHAR, school_name VARCHAR, municipality VARCHAR,
    education_type VARCHAR, profile_code VARCHAR, candidates_min INTEGER, candidates_max INTEGER,
    passed_min INTEGER, passed_max INTEGER
);
CREATE TABLE IF NOT EXISTS duo_mbo_entrants (
    load_id INTEGER, school_year INTEGER, prior_vo VARCHAR, prior_mbo VARCHAR, institution_id VARCHAR,
    institution_name VARCHAR, crebo VARCHAR, programme_name VARCHAR, level INTEGER, route VARCHAR,
    entrants_min INTEGER, entrants_max INTEGER
);
CREATE TABLE IF NOT EXISTS duo_crebo_sector (load_id INTEGER, crebo VARCHAR, sectorkamer VARCHAR);
-- Province -> Techniekpact landsdeel (data/reference/landsdelen.csv), compared by norm_text.
CREATE TABLE IF NOT EXISTS ref_landsdeel (province VARCHAR, landsdeel VARCHAR);
-- Who changed what, when (loads, replacements, removals, ambitions, demo resets); shown to beheerders.
CREATE TABLE IF NOT EXISTS audit_log (logged_at TIMESTAMP, who VARCHAR, action VARCHAR, subject VARCHAR, detail VARCHAR);
-- Values are compared after this normalisation: lower case, commas/dots/underscores and runs of
-- white space folded to one space.
CREATE OR REPLACE MACRO norm_text(x) AS
    trim(regexp_replace(lower(trim(CAST(x AS VARCHAR))), '[\s,._]+', ' ', 'g'));

-- Shared rules of the metric queries (sql/metrics.sql), stored with the database so that every
-- cursor sees them. A pupil record is in the population when each filter list is empty or holds it.
CREATE OR REPLACE MACRO in_population(leerweg, gender, school_id, school_year, leerwegen, genders, school_ids, school_years) AS
    (len(leerwegen) = 0 OR list_contains(leerwegen, leerweg))
    AND (len(genders) = 0 OR list_contains(genders, gender))
    AND (len(school_ids) = 0 OR list_contains(school_ids, school_id))
    AND (len(school_years) = 0 OR list_contains(school_years, school_year));
-- One vo record per pupil and year is now stored (vo_enrolment.is_chosen): the macro that decided it per query goes.
DROP MACRO IF EXISTS is_chosen_vo_record;
-- 'core' = technical under every setting, 'extra' = technical only under the alternative setting
-- (vmbo D&P; havo/vwo N profile without NT), 'other' = known, not technical, 'unknown' = no row in ref_profile.
CREATE OR REPLACE MACRO profile_class(code, level, technical, is_dp, contains_nt, contains_n) AS
    CASE
        WHEN code IS NULL THEN 'unknown'
        WHEN level = 'havo_vwo' AND contains_nt THEN 'core'
        WHEN level = 'havo_vwo' AND contains_n THEN 'extra'
        WHEN level = 'havo_vwo' THEN 'other'
        WHEN technical THEN 'core'
        WHEN is_dp THEN 'extra'
        ELSE 'other'
    END;

-- name: replace_reference_tables
-- Reload the ref_* tables from the staged reference CSV views (ref_*_src) and refresh school names.
DELETE FROM ref_profile;
INSERT INTO ref_profile SELECT code, name, level, technical, is_dp, contains_nt, contains_n FROM ref_profile_src;
DELETE FROM ref_mbo_sector;
INSERT INTO ref_mbo_sector SELECT code, name, technical FROM ref_mbo_sector_src;
DELETE FROM ref_ho_sector;
INSERT INTO ref_ho_sector SELECT code, name, technical FROM ref_ho_sector_src;
DELETE FROM ref_alias;
INSERT INTO ref_alias
    SELECT DISTINCT 'profile:' || level, norm_text(unnest(string_split(aliases, '|') || [code, name])), code
    FROM ref_profile_src
    UNION
    SELECT DISTINCT 'mbo_sector', norm_text(unnest(string_split(aliases, '|') || [code, name])), code
    FROM ref_mbo_sector_src
    UNION
    SELECT DISTINCT 'ho_sector', norm_text(unnest(string_split(aliases, '|') || [code, name])), code
    FROM ref_ho_sector_src
    UNION
    SELECT DISTINCT domain, norm_text(coalesce(alias, '')), value FROM ref_value_alias_src
    UNION
    SELECT DISTINCT 'activity_type', norm_text(unnest(string_split(coalesce(aliases, ''), '|') || [code, name])), trim(code)
    FROM ref_activity_type_src;
DELETE FROM ref_activity_type;
INSERT INTO ref_activity_type SELECT trim(code), trim(name) FROM ref_activity_type_src;
INSERT OR REPLACE INTO school
    SELECT school_id, name, school_type, board FROM ref_school_src;
DELETE FROM ref_programme_sector;
INSERT INTO ref_programme_sector
    SELECT lower(trim(m.kind)), trim(m.programme_code), a.value
    FROM ref_programme_sector_src m
    JOIN ref_alias a ON a.domain = lower(trim(m.kind)) || '_sector' AND a.alias = norm_text(m.sector);
DELETE FROM ref_landsdeel;
INSERT INTO ref_landsdeel SELECT DISTINCT norm_text(province), trim(landsdeel) FROM ref_landsdeel_src WHERE trim(coalesce(province, '')) <> '';

-- name: configuration_locked
-- Whether this database instance is locked down already (by an earlier connection to the same file).
SELECT current_setting('lock_configuration');

-- name: spill_folder
-- Where a writer spills sorts, joins, aggregates and the load's staging tables (raw pupil numbers among them) when they
-- outgrow its memory: a folder in the process's private read folder, which is removed at exit and, after a crash, by
-- the next process (DuckDB's default, <database>.tmp beside the file, stays behind after a kill).
SET temp_directory = $folder;

-- name: write_memory_budget
-- A writer's memory budget (limit, e.g. '512MB'): past it DuckDB spills instead of growing with the file it loads.
SET memory_limit = $limit;

-- name: lock_down
-- The app reads files only from its own folder ($folders), installs and loads no extension, and cannot undo this.
SET allowed_directories = $folders;
SET enable_external_access = false;
SET autoinstall_known_extensions = false;
SET autoload_known_extensions = false;
SET lock_configuration = true;
