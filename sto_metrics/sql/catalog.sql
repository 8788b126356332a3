-- name: vo_school_years
-- The school years (start years) with vo enrolments, ascending.
SELECT DISTINCT school_year FROM vo_enrolment ORDER BY school_year;

-- name: vo_school_ids
-- The school locations with vo enrolments, ascending.
SELECT DISTINCT school_id FROM vo_enrolment ORDER BY school_id;

-- name: schools_with_data
-- Schools with vo enrolments: id, display name (the id when the name is empty), type; by name.
SELECT s.school_id, coalesce(nullif(trim(s.name), ''), s.school_id) AS name, s.school_type
FROM school s
WHERE s.school_id IN (SELECT DISTINCT school_id FROM vo_enrolment)
ORDER BY name, s.school_id;

-- name: data_versions
-- A fingerprint per table family (what a cache reads): each family's loads (ids are never reused; id, content hash and
-- replacement, so equal fingerprints mean the same rows) with the reference tables it joins; a load of an unknown kind
-- counts for every family.
WITH loads AS (
    SELECT load_id, load_id || ':' || coalesce(content_hash, '') || ':' || coalesce(replaced_by, 0) AS part,
           CASE WHEN kind IN ('vo', 'mbo', 'ho') THEN 'enrolments'
                WHEN kind IN ('activiteiten', 'deelnemerslijst') THEN 'activities'
                WHEN kind LIKE 'duo\_%' ESCAPE '\' THEN 'national' END AS family
    FROM load_log
),
fingerprints AS (
    SELECT f.family, count(l.load_id) || '-' || sha256(coalesce(string_agg(l.part, ',' ORDER BY l.load_id), '')) AS loaded
    FROM (VALUES ('enrolments'), ('activities'), ('national')) f(family)
    LEFT JOIN loads l ON l.family = f.family OR l.family IS NULL
    GROUP BY f.family
)
SELECT (SELECT loaded FROM fingerprints WHERE family = 'enrolments')
           || '-' || (SELECT coalesce(bit_xor(hash(r)), 0) FROM ref_profile r)
           || '-' || (SELECT coalesce(bit_xor(hash(r)), 0) FROM ref_mbo_sector r)
           || '-' || (SELECT coalesce(bit_xor(hash(r)), 0) FROM ref_ho_sector r)
           || '-' || (SELECT coalesce(bit_xor(hash(r)), 0) FROM ref_programme_sector r)
           || '-' || (SELECT coalesce(bit_xor(hash(s)), 0) FROM school s) AS enrolments,
       (SELECT loaded FROM fingerprints WHERE family = 'activities')
           || '-' || (SELECT coalesce(bit_xor(hash(r)), 0) FROM ref_activity_type r) AS activities,
       (SELECT loaded FROM fingerprints WHERE family = 'national')
           || '-' || (SELECT coalesce(bit_xor(hash(r)), 0) FROM ref_landsdeel r) AS national;

-- name: load_sources
-- Which files were loaded and what they cover (load log aggregates only, no pupil data).
SELECT l.load_id, l.file_name, l.kind, l.loaded_at,
       string_agg(DISTINCT s.school_id, ', ' ORDER BY s.school_id) AS schools,
       min(s.school_year) AS first_year, max(s.school_year) AS last_year
FROM load_log l LEFT JOIN load_scope s ON s.load_id = l.load_id
WHERE l.replaced_by IS NULL
GROUP BY l.load_id, l.file_name, l.kind, l.loaded_at
ORDER BY l.kind, l.file_name, l.load_id;

-- name: read_only_database_file
-- The file of the connection's database when it was opened read-only (none: writable or in memory), the key of
-- db.run_shared's kept results.
SELECT path FROM duckdb_databases() WHERE database_name = current_database() AND readonly AND path IS NOT NULL;

-- name: school_names
-- Every known school location with its name (from the reference table and the loaded exports).
SELECT school_id, name FROM school;

-- name: rows_fingerprint
-- The stored rows the protected tables count, as counts and sums of row hashes (order-free; a duplicated row counts):
-- what the loads made of their files (aliases, --kind) can differ where the loads themselves do not (data_versions).
-- The pupil's 64-character hash is left out: its number stands for it, and hashing it costs most of the time.
SELECT (SELECT count(*) || ':' || coalesce(sum(hash(*COLUMNS(* EXCLUDE (pupil_hash)))), 0) FROM vo_enrolment)
       || '|' || (SELECT count(*) || ':' || coalesce(sum(hash(*COLUMNS(* EXCLUDE (pupil_hash)))), 0) FROM mbo_enrolment)
       || '|' || (SELECT count(*) || ':' || coalesce(sum(hash(*COLUMNS(* EXCLUDE (pupil_hash)))), 0) FROM ho_enrolment)
       || '|' || (SELECT count(*) || ':' || coalesce(sum(hash(a)), 0) FROM activity a)
       || '|' || (SELECT count(*) || ':' || coalesce(sum(hash(p)), 0) FROM activity_participant p);

-- name: database_check
-- Fails unless the database has this program's tables (a quick check before reading figures).
SELECT 1 FROM vo_enrolment LIMIT 1;

-- name: schema_outdated
-- True for a database from before vo_enrolment.is_chosen (the stored chosen record) or pupil_number (the pupil's
-- number): only a writable open adds them.
SELECT count(*) > 0 AND (count(*) FILTER (column_name = 'is_chosen') = 0 OR count(*) FILTER (column_name = 'pupil_number') = 0)
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'vo_enrolment';
