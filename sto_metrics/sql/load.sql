-- name: create_load_macros
-- Helpers for normalising exported values; temporary, so a read-only database needs none.
CREATE OR REPLACE TEMP MACRO norm_key(x) AS
    -- most keys are plain numbers: one match settles them, the three rewrites are for the rest
    CASE WHEN regexp_full_match(x, '[1-9][0-9]*') THEN x
         WHEN regexp_full_match(upper(regexp_replace(x, '\s+', '', 'g')), '[0-9]+')
         THEN coalesce(nullif(ltrim(regexp_replace(x, '\s+', '', 'g'), '0'), ''), '0')
         ELSE upper(regexp_replace(x, '\s+', '', 'g')) END;
CREATE OR REPLACE TEMP MACRO pseudonym_of_normal(key, inner_key, outer_key) AS
    sha256(outer_key || unhex(sha256(inner_key || encode(key))));
CREATE OR REPLACE TEMP MACRO pseudonym(x, inner_key, outer_key) AS pseudonym_of_normal(norm_key(x), inner_key, outer_key);
-- '2023-2024', '2023/2024', '2023-24', '23-24' and '2023' all mean start year 2023.
CREATE OR REPLACE TEMP MACRO school_year_start(x) AS (
    WITH parts AS (
        SELECT regexp_extract(trim(x), '^(\d{2}|\d{4})\s*[-/]\s*(\d{2}|\d{4})$', ['a', 'b']) AS two,
               regexp_extract(trim(x), '^(\d{4})$', 1) AS one
    ), years AS (
        SELECT CASE WHEN one <> '' THEN CAST(one AS INTEGER)
                    WHEN two.a <> '' THEN CAST(two.a AS INTEGER) + CASE WHEN length(two.a) = 2 THEN 2000 ELSE 0 END
               END AS start_year,
               CASE WHEN one <> '' THEN NULL
                    WHEN two.b <> '' THEN CAST(two.b AS INTEGER) + CASE WHEN length(two.b) = 2 THEN 2000 ELSE 0 END
               END AS end_year
        FROM parts
    )
    SELECT CASE WHEN start_year BETWEEN 2000 AND 2099
                 AND (end_year IS NULL OR end_year = start_year + 1 OR end_year % 100 = (start_year + 1) % 100 AND end_year < 100)
                THEN start_year END
    FROM years
);
-- A name as shown: control, format (zero width, direction) and line-separator characters become spaces, runs of
-- spaces one, none at either end (a leading tab would otherwise sort a school first).
CREATE OR REPLACE TEMP MACRO plain_name(x) AS
    nullif(trim(regexp_replace(regexp_replace(x, '[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]', ' ', 'g'), '\s+', ' ', 'g')), '');
-- '3', '3B', '4H', ' 5 V' all mean leerjaar 3, 4, 5.
CREATE OR REPLACE TEMP MACRO leerjaar_number(x) AS TRY_CAST(regexp_extract(trim(x), '^(\d+)', 1) AS INTEGER);
-- A school location: 'brin + vestiging' as one code '12AB00'; a bare BRIN means its main location 00.
CREATE OR REPLACE TEMP MACRO school_code(x) AS
    CASE WHEN regexp_full_match(upper(regexp_replace(x, '[\s\-_]', '', 'g')), '[0-9]{2}[A-Z0-9]{2}')
         THEN upper(regexp_replace(x, '[\s\-_]', '', 'g')) || '00'
         WHEN regexp_full_match(upper(regexp_replace(x, '[\s\-_]', '', 'g')), '[0-9]{2}[A-Z0-9]{2}[0-9]{2}')
         THEN upper(regexp_replace(x, '[\s\-_]', '', 'g')) END;

-- name: stage_file
-- Read an export's table into load_staged_raw in one pass: the fields the file has (the columns parameter names each
-- column after its field, others c0, c1, ..., which are read but not kept), trimmed, with the row number and the
-- blank and formula flags for the problem counts. The view load_staged adds the fields the file lacks, as NULL.
CREATE OR REPLACE TEMP TABLE load_staged_raw AS
SELECT row_number() OVER () AS row_nr,
       nullif(trim(COLUMNS(lambda c: NOT regexp_full_match(c, 'c[0-9]+'))), ''),
       -- every cell is empty or spaces exactly when all of them joined are
       trim(concat(*COLUMNS(*))) = '' AS is_blank,
       -- cells are looked at one by one only in the rare row that holds one of these characters at all
       CASE WHEN contains(concat(*COLUMNS(*)), '=') OR contains(concat(*COLUMNS(*)), '+') OR contains(concat(*COLUMNS(*)), '@')
            THEN len(list_filter([*COLUMNS(*)], lambda c: left(ltrim(c), 1) IN ('=', '+', '@'))) ELSE 0 END AS formula_cells
FROM read_csv($path, delim=$delim, header=false, skip=$skip, quote='"', escape='"', null_padding=true,
              auto_detect=false, columns=$columns, max_line_size=$max_line, parallel=$parallel);
-- a view cannot take parameters: the one setting it needs is a one-row table
CREATE OR REPLACE TEMP TABLE load_options AS SELECT $brin_and_vestiging AS brin_and_vestiging;
CREATE OR REPLACE TEMP VIEW load_staged AS
WITH every_field AS (
    -- by name: the fields the file lacks come from the empty row set, as NULL
    SELECT NULL::VARCHAR AS pupil_key,
           NULL::VARCHAR AS school_year,
           NULL::VARCHAR AS school_name,
           NULL::VARCHAR AS education,
           NULL::VARCHAR AS leerjaar,
           NULL::VARCHAR AS profile,
           NULL::VARCHAR AS gender,
           NULL::VARCHAR AS diploma,
           NULL::VARCHAR AS institution,
           NULL::VARCHAR AS institution_name,
           NULL::VARCHAR AS programme_code,
           NULL::VARCHAR AS programme_name,
           NULL::VARCHAR AS level,
           NULL::VARCHAR AS route,
           NULL::VARCHAR AS sector,
           NULL::VARCHAR AS ho_type,
           NULL::VARCHAR AS school,
           NULL::VARCHAR AS brin,
           NULL::VARCHAR AS vestiging
    WHERE false
    UNION ALL BY NAME
    SELECT * FROM load_staged_raw
)
SELECT row_nr, pupil_key, school_year, plain_name(school_name) AS school_name, education, leerjaar, profile, gender, diploma,
       institution, plain_name(institution_name) AS institution_name, programme_code, programme_name, level, route, sector,
       ho_type, brin, vestiging,
       -- BRIN and vestiging in two columns make one location code.
       CASE WHEN o.brin_and_vestiging THEN brin || coalesce(lpad(vestiging, 2, '0'), '') ELSE school END AS school,
       is_blank, formula_cells
FROM every_field, load_options o;

-- name: drop_staged
-- The staged text is not needed once the rows are normalised: its memory goes before the insert.
DROP VIEW IF EXISTS load_staged;
DROP TABLE IF EXISTS load_staged_raw;

-- name: staged_row_count
-- Rows read from the file, blank ones included.
SELECT count(*) FROM load_staged;

-- name: staged_data_row_count
-- Rows that hold at least one value.
SELECT count(*) FROM load_staged WHERE NOT is_blank;

-- name: staged_blank_rows_and_formula_cells
-- Rows of empty cells and cells that start like a spreadsheet formula.
SELECT count(*) FILTER (is_blank), coalesce(sum(formula_cells), 0) FROM load_staged;

-- name: most_school_names_per_school
-- The largest number of different 'school names' one school has: many means the column holds pupils' names.
SELECT coalesce(max(n), 0) FROM (SELECT count(DISTINCT school_name) AS n FROM load_staged GROUP BY school);

-- name: forget_school_names
-- Drop a school-name column that turned out to hold pupils' names.
UPDATE load_staged_raw SET school_name = NULL;

-- name: value_lookups
-- Each distinct raw value is normalised once (exports repeat a few dozen values a million
-- times), then joined back to the rows.
CREATE OR REPLACE TEMP TABLE lookup_year AS
    SELECT raw, school_year_start(raw) AS school_year FROM (SELECT DISTINCT school_year AS raw FROM load_staged);
CREATE OR REPLACE TEMP TABLE lookup_school AS
    SELECT raw, school_code(raw) AS school_id FROM (SELECT DISTINCT coalesce(school, institution) AS raw FROM load_staged);
CREATE OR REPLACE TEMP TABLE lookup_alias AS
    SELECT v.domain, v.raw, a.value FROM (
        SELECT DISTINCT 'education' AS domain, education AS raw FROM load_staged
        UNION SELECT DISTINCT 'gender', gender FROM load_staged
        UNION SELECT DISTINCT 'diploma', coalesce(diploma, '') FROM load_staged
        UNION SELECT DISTINCT 'route', route FROM load_staged
        UNION SELECT DISTINCT 'ho_type', ho_type FROM load_staged
        UNION SELECT DISTINCT $kind || '_sector', sector FROM load_staged
    ) v LEFT JOIN ref_alias a ON a.domain = v.domain AND a.alias = norm_text(v.raw);
-- TL pupils have a sector, other vmbo pupils a profile; havo/vwo their own profiles (so a profile is looked up with
-- the education type it comes with).
CREATE OR REPLACE TEMP TABLE lookup_profile AS
    SELECT k.education_raw, k.profile_raw, coalesce(p1.value, p2.value) AS profile_code
    FROM (
        SELECT s.education AS education_raw, s.profile AS profile_raw, split_part(e.value, ':', 1) AS education_type,
               nullif(split_part(e.value, ':', 2), '') AS leerweg
        FROM (SELECT DISTINCT education, profile FROM load_staged WHERE profile IS NOT NULL) s
        LEFT JOIN lookup_alias e ON e.domain = 'education' AND e.raw IS NOT DISTINCT FROM s.education
    ) k
    LEFT JOIN ref_alias p1 ON p1.alias = norm_text(k.profile_raw) AND p1.domain =
        CASE WHEN k.education_type = 'vmbo' AND k.leerweg = 'TL' THEN 'profile:vmbo_tl'
             WHEN k.education_type = 'vmbo' THEN 'profile:vmbo' ELSE 'profile:havo_vwo' END
    LEFT JOIN ref_alias p2 ON p2.alias = norm_text(k.profile_raw) AND p2.domain =
        CASE WHEN k.education_type = 'vmbo' AND k.leerweg = 'TL' THEN 'profile:vmbo'
             WHEN k.education_type = 'vmbo' THEN 'profile:vmbo_tl' ELSE 'profile:havo_vwo' END;

-- name: vo_normalise
-- Canonical vo rows from the staged file (columns named after canonical fields, all text), in one streamed pass.
-- Of the raw text only what the checks ask is kept ('_given': the cell was not empty), so the table stays narrow.
CREATE OR REPLACE TEMP TABLE load_rows AS
SELECT s.row_nr,
       norm_key(s.pupil_key) AS pupil_norm,
       s.school_year IS NOT NULL AS school_year_given,
       y.school_year,
       s.school IS NOT NULL AS school_given,
       sc.school_id,
       s.school_name,
       s.education IS NOT NULL AS education_given,
       split_part(edu.value, ':', 1) AS education_type,
       nullif(split_part(edu.value, ':', 2), '') AS leerweg,
       s.leerjaar IS NOT NULL AS leerjaar_given,
       leerjaar_number(s.leerjaar) AS leerjaar,
       s.profile IS NOT NULL AS profile_given,
       p.profile_code,
       s.gender IS NOT NULL AS gender_given,
       g.value AS gender,
       s.diploma IS NOT NULL AS diploma_given,
       CAST(d.value AS BOOLEAN) AS diploma,
       NULL::VARCHAR AS programme_code,
       1 AS nth  -- nth: see mark_duplicates
FROM load_staged s
LEFT JOIN lookup_year y ON y.raw IS NOT DISTINCT FROM s.school_year
LEFT JOIN lookup_school sc ON sc.raw IS NOT DISTINCT FROM s.school
LEFT JOIN lookup_alias edu ON edu.domain = 'education' AND edu.raw IS NOT DISTINCT FROM s.education
LEFT JOIN lookup_alias g ON g.domain = 'gender' AND g.raw IS NOT DISTINCT FROM s.gender
LEFT JOIN lookup_alias d ON d.domain = 'diploma' AND d.raw = coalesce(s.diploma, '')
LEFT JOIN lookup_profile p ON p.profile_raw = s.profile AND p.education_raw IS NOT DISTINCT FROM s.education
WHERE NOT s.is_blank;

-- name: duplicate_rows
-- Whether rows may repeat an earlier row's pupil, school year, school (and programme): usually not. Counting distinct
-- hashes is much cheaper than distinct tuples; a collision only costs an exact mark_duplicates, which counts.
SELECT count(*) - count(DISTINCT hash(pupil_norm, school_year, school_id, programme_code)) FROM load_rows;

-- name: mark_duplicates
-- The first row of a pupil in a school and year (and programme) is kept; later ones get nth > 1.
CREATE OR REPLACE TEMP TABLE load_rows AS
SELECT * REPLACE (row_number() OVER (PARTITION BY pupil_norm, school_year, school_id, programme_code ORDER BY row_nr) AS nth)
FROM load_rows;

-- name: vo_fatal_problems
-- Rows whose values decide who is counted and cannot be read: the file is refused.
SELECT row_nr, column_field, problem FROM (
    SELECT row_nr, 'pupil_key' AS column_field, 'leeg' AS problem FROM load_rows WHERE pupil_norm IS NULL
    UNION ALL SELECT row_nr, 'school_year', CASE WHEN NOT school_year_given THEN 'leeg' ELSE 'onbekend_schooljaar' END
        FROM load_rows WHERE school_year IS NULL
    -- a typo like 2099-2100 would stretch every year axis and empty the headline
    UNION ALL SELECT row_nr, 'school_year', 'toekomstig_schooljaar' FROM load_rows WHERE school_year > $latest_year
    UNION ALL SELECT row_nr, 'school', CASE WHEN NOT school_given THEN 'leeg' ELSE 'onbekende_school' END
        FROM load_rows WHERE school_id IS NULL
    UNION ALL SELECT row_nr, 'education', CASE WHEN NOT education_given THEN 'leeg' ELSE 'onbekend_onderwijstype' END
        FROM load_rows WHERE education_type IS NULL OR education_type = ''
    UNION ALL SELECT row_nr, 'leerjaar', CASE WHEN NOT leerjaar_given THEN 'leeg' ELSE 'ongeldig_leerjaar' END
        FROM load_rows
        WHERE leerjaar IS NULL
           OR leerjaar < 1
           OR leerjaar > CASE education_type WHEN 'vmbo' THEN 4 WHEN 'havo' THEN 5 ELSE 6 END
)
ORDER BY row_nr, column_field
LIMIT 1000;

-- name: vo_row_problems
-- Non-fatal problems per kind: the rows load, with the rule documented in the README.
SELECT 'onbekend_profiel' AS kind, count(*) FILTER (profile_given AND profile_code IS NULL) AS n,
       min(row_nr) FILTER (profile_given AND profile_code IS NULL) AS first_row, 'profile' AS column_field,
       -- the other kinds come from the same single scan
       count(*) FILTER (gender_given AND gender IS NULL) AS gender_n,
       min(row_nr) FILTER (gender_given AND gender IS NULL) AS gender_row,
       count(*) FILTER (diploma_given AND diploma IS NULL) AS diploma_n,
       min(row_nr) FILTER (diploma_given AND diploma IS NULL) AS diploma_row,
       count(*) FILTER (nth > 1) AS duplicate_n,
       min(row_nr) FILTER (nth > 1) AS duplicate_row
FROM load_rows;

-- name: number_load_pupils
-- The file's pupils with their pseudonym and number (load_pupils), in the load's transaction before its insert: each
-- key is hashed once (a file often lists a pupil in two years) and looked up in pupil, in parallel, in the hashes'
-- order; then one streaming pass deals the next free numbers to the new ones by a running count (a window's own sort of
-- a million pupils cost 150 MB more). The count makes the numbers unique whatever the order; that the same content gets
-- the same numbers relies on DuckDB reading the sorted table in order (preserve_insertion_order, observed, not promised).
CREATE OR REPLACE TEMP TABLE load_keys AS
SELECT k.pupil_norm, k.pupil_hash, p.pupil_number
FROM (
    SELECT pupil_norm, pseudonym_of_normal(pupil_norm, $hmac_inner, $hmac_outer) AS pupil_hash
    FROM (SELECT DISTINCT pupil_norm FROM load_rows WHERE nth = 1)
) k
LEFT JOIN pupil p ON p.pupil_hash = k.pupil_hash
ORDER BY hash(k.pupil_hash), k.pupil_hash;
CREATE OR REPLACE TEMP TABLE load_pupils AS
SELECT pupil_norm, pupil_hash, pupil_number IS NULL AS is_new,
       coalesce(pupil_number,
                (SELECT coalesce(max(pupil_number), 0) FROM pupil)
                + sum((pupil_number IS NULL)::INTEGER) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))::INTEGER AS pupil_number
FROM load_keys;
DROP TABLE load_keys;
INSERT INTO pupil SELECT pupil_hash, pupil_number FROM load_pupils WHERE is_new;

-- name: vo_insert
-- Store the file's rows: pseudonymised and numbered (number_load_pupils), first row kept when a pupil is listed twice
-- in one year. Each row starts as its pupil's chosen record (most pupils have one per year); chosen_refresh then
-- unmarks the ones another record beats.
INSERT INTO vo_enrolment
SELECT $load_id, k.pupil_hash, r.school_year, r.school_id,
       r.education_type, r.leerweg, r.leerjaar, r.profile_code,
       r.profile_given AND r.profile_code IS NULL, r.gender, r.diploma, TRUE, k.pupil_number
FROM load_rows r
JOIN load_pupils k USING (pupil_norm)
WHERE r.nth = 1;
DROP TABLE load_pupils;

-- name: vo_rows_of_load
-- Rows a vo load stored.
SELECT count(*) FROM vo_enrolment WHERE load_id = $load_id;

-- name: mbo_rows_of_load
-- Rows an mbo load stored.
SELECT count(*) FROM mbo_enrolment WHERE load_id = $load_id;

-- name: ho_rows_of_load
-- Rows an ho load stored.
SELECT count(*) FROM ho_enrolment WHERE load_id = $load_id;

-- name: followup_normalise
-- Canonical mbo or ho rows from the staged file; $kind is 'mbo' or 'ho'.
CREATE OR REPLACE TEMP TABLE load_rows AS
SELECT s.row_nr,
       norm_key(s.pupil_key) AS pupil_norm,
       s.school_year IS NOT NULL AS school_year_given,
       y.school_year,
       s.institution IS NOT NULL AS school_given,
       sc.school_id,
       s.institution_name AS school_name,
       s.programme_code,
       s.programme_name,
       TRY_CAST(regexp_extract(s.level, '(\d)', 1) AS INTEGER) AS level,
       r.value AS route,
       t.value AS ho_type,
       -- the export's own sector first, else the region's programme mapping
       coalesce(sec.value, ps.sector_code) AS sector_code,
       1 AS nth  -- nth: see mark_duplicates
FROM load_staged s
LEFT JOIN lookup_year y ON y.raw IS NOT DISTINCT FROM s.school_year
LEFT JOIN lookup_school sc ON sc.raw IS NOT DISTINCT FROM s.institution
LEFT JOIN lookup_alias r ON r.domain = 'route' AND r.raw IS NOT DISTINCT FROM s.route
LEFT JOIN lookup_alias t ON t.domain = 'ho_type' AND t.raw IS NOT DISTINCT FROM s.ho_type
LEFT JOIN lookup_alias sec ON sec.domain = $kind || '_sector' AND sec.raw IS NOT DISTINCT FROM s.sector
LEFT JOIN ref_programme_sector ps ON ps.kind = $kind AND ps.programme_code = s.programme_code
WHERE NOT s.is_blank;

-- name: followup_fatal_problems
-- Rows of an mbo or ho file whose pupil, school year or institution cannot be read: the file is refused.
SELECT row_nr, column_field, problem FROM (
    SELECT row_nr, 'pupil_key' AS column_field, 'leeg' AS problem FROM load_rows WHERE pupil_norm IS NULL
    UNION ALL SELECT row_nr, 'school_year', CASE WHEN NOT school_year_given THEN 'leeg' ELSE 'onbekend_schooljaar' END
        FROM load_rows WHERE school_year IS NULL
    -- a typo like 2099-2100 would stretch every year axis and empty the headline
    UNION ALL SELECT row_nr, 'school_year', 'toekomstig_schooljaar' FROM load_rows WHERE school_year > $latest_year
    UNION ALL SELECT row_nr, 'institution', CASE WHEN NOT school_given THEN 'leeg' ELSE 'onbekende_school' END
        FROM load_rows WHERE school_id IS NULL
)
ORDER BY row_nr, column_field
LIMIT 1000;

-- name: followup_row_problems
-- Non-fatal problems of an mbo or ho file (unknown sector, pupil listed twice), from one scan.
SELECT 'onbekende_sector' AS kind, count(*) FILTER (sector_code IS NULL) AS n,
       min(row_nr) FILTER (sector_code IS NULL) AS first_row, 'sector' AS column_field,
       count(*) FILTER (nth > 1) AS duplicate_n,
       min(row_nr) FILTER (nth > 1) AS duplicate_row
FROM load_rows;

-- name: mbo_insert
-- Store an mbo file's rows: pseudonymised and numbered, first row kept when a pupil is listed twice for one programme and year.
INSERT INTO mbo_enrolment
SELECT $load_id, k.pupil_hash, r.school_year, r.school_id,
       r.programme_code, r.programme_name, r.level, r.route, r.sector_code, k.pupil_number
FROM load_rows r
JOIN load_pupils k USING (pupil_norm)
WHERE r.nth = 1;
DROP TABLE load_pupils;

-- name: ho_insert
-- Store an ho file's rows: pseudonymised and numbered, first row kept when a pupil is listed twice for one programme and year.
INSERT INTO ho_enrolment
SELECT $load_id, k.pupil_hash, r.school_year, r.school_id,
       r.programme_code, r.programme_name, r.ho_type, r.sector_code, k.pupil_number
FROM load_rows r
JOIN load_pupils k USING (pupil_norm)
WHERE r.nth = 1;
DROP TABLE load_pupils;

-- name: load_scope_of_file
-- The (school, school year) pairs a file covers.
SELECT DISTINCT school_id, school_year FROM load_rows ORDER BY ALL;

-- name: school_names_in_file
-- Distinct school names per school in the file, and the name already known for it.
SELECT r.school_id, count(DISTINCT r.school_name) AS names_in_file, min(r.school_name) AS first_name,
       any_value(s.name) AS known_name,
       count(DISTINCT CASE WHEN s.name IS NOT NULL AND r.school_name <> s.name THEN r.school_name END) AS differing_from_known
FROM load_rows r LEFT JOIN school s USING (school_id)
WHERE r.school_name IS NOT NULL
GROUP BY r.school_id
ORDER BY r.school_id;

-- name: overlapping_loads
-- Earlier loads of the same kind that cover one of this file's (school, school year) pairs.
SELECT l.load_id, l.file_name, min(ls.school_id) AS school_id, min(ls.school_year) AS school_year, count(*) AS pairs
FROM load_scope ls
JOIN load_log l USING (load_id)
JOIN (SELECT DISTINCT school_id, school_year FROM load_rows) f USING (school_id, school_year)
WHERE l.kind = $kind
GROUP BY l.load_id, l.file_name
ORDER BY l.load_id;

-- name: load_with_hash
-- The earlier load of a file with exactly this content, if any: the newest still in effect (after --replace loaded the
-- file again, not the load it replaced).
SELECT load_id, file_name, loaded_at FROM load_log WHERE content_hash = $content_hash
ORDER BY replaced_by IS NULL DESC, load_id DESC LIMIT 1;

-- name: next_load_id
-- The id the next load gets: never one issued before (sql/schema.sql, load_id_seq).
SELECT nextval('load_id_seq') AS load_id;

-- name: replace_overlap_vo
-- --replace: move earlier rows of the same schools and school years aside (removing this load brings them back).
INSERT INTO replaced_vo_enrolment BY NAME
SELECT *, $load_id AS replaced_by FROM vo_enrolment WHERE (school_id, school_year) IN (SELECT DISTINCT school_id, school_year FROM load_rows);
DELETE FROM vo_enrolment WHERE (school_id, school_year) IN (SELECT DISTINCT school_id, school_year FROM load_rows);

-- name: replace_overlap_mbo
-- --replace: move earlier mbo rows of the same institutions and school years aside (removing this load brings them back).
INSERT INTO replaced_mbo_enrolment BY NAME
SELECT *, $load_id AS replaced_by FROM mbo_enrolment WHERE (institution_id, school_year) IN (SELECT DISTINCT school_id, school_year FROM load_rows);
DELETE FROM mbo_enrolment WHERE (institution_id, school_year) IN (SELECT DISTINCT school_id, school_year FROM load_rows);

-- name: replace_overlap_ho
-- --replace: move earlier ho rows of the same institutions and school years aside (removing this load brings them back).
INSERT INTO replaced_ho_enrolment BY NAME
SELECT *, $load_id AS replaced_by FROM ho_enrolment WHERE (institution_id, school_year) IN (SELECT DISTINCT school_id, school_year FROM load_rows);
DELETE FROM ho_enrolment WHERE (institution_id, school_year) IN (SELECT DISTINCT school_id, school_year FROM load_rows);

-- name: replace_overlap_scope
-- --replace: mark the overlapped loads as replaced by this one and drop the pairs this file now covers.
UPDATE load_log SET replaced_by = $load_id
WHERE kind = $kind AND load_id IN (
    SELECT ls.load_id FROM load_scope ls
    JOIN (SELECT DISTINCT school_id, school_year FROM load_rows) f USING (school_id, school_year));
INSERT INTO replaced_load_scope BY NAME
SELECT *, $load_id AS replaced_by FROM load_scope
WHERE load_id IN (SELECT load_id FROM load_log WHERE kind = $kind)
  AND (school_id, school_year) IN (SELECT DISTINCT school_id, school_year FROM load_rows);
DELETE FROM load_scope
WHERE load_id IN (SELECT load_id FROM load_log WHERE kind = $kind)
  AND (school_id, school_year) IN (SELECT DISTINCT school_id, school_year FROM load_rows);

-- name: insert_load_scope
-- Record the (school, school year) pairs this load covers.
INSERT INTO load_scope SELECT DISTINCT $load_id, school_id, school_year FROM load_rows;

-- name: insert_new_schools
-- Schools the reference table does not know yet keep the first name their file gives.
INSERT INTO school
SELECT school_id, min(school_name), $school_type, NULL
FROM load_rows
WHERE school_id NOT IN (SELECT school_id FROM school)
GROUP BY school_id;

-- name: insert_load_log
-- Record the load: file name, content hash, kind, row counts and problems (JSON).
INSERT INTO load_log VALUES ($load_id, $file_name, $content_hash, $kind, $rows_read, $rows_loaded,
                             $problems, now()::TIMESTAMP, NULL);

-- name: list_loads
-- Every load with what it covers, newest first.
SELECT l.load_id, l.file_name, l.kind, l.rows_read, l.rows_loaded, l.problems, l.loaded_at, l.replaced_by,
       string_agg(DISTINCT ls.school_id, ', ' ORDER BY ls.school_id) AS schools,
       min(ls.school_year) AS first_year, max(ls.school_year) AS last_year
FROM load_log l LEFT JOIN load_scope ls USING (load_id)
GROUP BY ALL
ORDER BY l.load_id DESC;

-- name: loads_replaced_without_kept_rows
-- Loads this one replaced whose rows were not kept (a database from before replaced_* existed, or DUO's
-- reference files), and whether they still hold any row.
SELECT l.load_id, l.file_name,
       EXISTS (SELECT 1 FROM vo_enrolment e WHERE e.load_id = l.load_id)
       OR EXISTS (SELECT 1 FROM mbo_enrolment e WHERE e.load_id = l.load_id)
       OR EXISTS (SELECT 1 FROM ho_enrolment e WHERE e.load_id = l.load_id)
       OR EXISTS (SELECT 1 FROM duo_vo_pupils e WHERE e.load_id = l.load_id)
       OR EXISTS (SELECT 1 FROM duo_exam_candidates e WHERE e.load_id = l.load_id)
       OR EXISTS (SELECT 1 FROM duo_mbo_entrants e WHERE e.load_id = l.load_id)
       OR EXISTS (SELECT 1 FROM duo_crebo_sector e WHERE e.load_id = l.load_id) AS holds_rows
FROM load_log l
WHERE l.replaced_by = $load_id
  AND NOT EXISTS (SELECT 1 FROM replaced_load_scope k WHERE k.load_id = l.load_id AND k.replaced_by = $load_id)
ORDER BY l.load_id;

-- name: remove_load
-- Remove one load: its rows in every enrolment table (kept replaced ones too), its scope and its log entry; what it
-- replaced comes back, except the pairs a later load replaced in turn: those now count as replaced by that load.
UPDATE replaced_vo_enrolment r SET replaced_by = k.replaced_by FROM replaced_load_scope k
WHERE r.replaced_by = $load_id AND k.load_id = $load_id AND k.school_id = r.school_id AND k.school_year = r.school_year;
UPDATE replaced_mbo_enrolment r SET replaced_by = k.replaced_by FROM replaced_load_scope k
WHERE r.replaced_by = $load_id AND k.load_id = $load_id AND k.school_id = r.institution_id AND k.school_year = r.school_year;
UPDATE replaced_ho_enrolment r SET replaced_by = k.replaced_by FROM replaced_load_scope k
WHERE r.replaced_by = $load_id AND k.load_id = $load_id AND k.school_id = r.institution_id AND k.school_year = r.school_year;
UPDATE replaced_load_scope r SET replaced_by = (
    SELECT k.replaced_by FROM replaced_load_scope k
    WHERE k.load_id = $load_id AND k.school_id = r.school_id AND k.school_year = r.school_year)
WHERE r.replaced_by = $load_id AND (r.school_id, r.school_year) IN (
    SELECT school_id, school_year FROM replaced_load_scope WHERE load_id = $load_id);
INSERT INTO vo_enrolment BY NAME SELECT * EXCLUDE (replaced_by) FROM replaced_vo_enrolment WHERE replaced_by = $load_id;
INSERT INTO mbo_enrolment BY NAME SELECT * EXCLUDE (replaced_by) FROM replaced_mbo_enrolment WHERE replaced_by = $load_id;
INSERT INTO ho_enrolment BY NAME SELECT * EXCLUDE (replaced_by) FROM replaced_ho_enrolment WHERE replaced_by = $load_id;
INSERT INTO load_scope BY NAME SELECT * EXCLUDE (replaced_by) FROM replaced_load_scope WHERE replaced_by = $load_id;
DELETE FROM replaced_vo_enrolment WHERE replaced_by = $load_id OR load_id = $load_id;
DELETE FROM replaced_mbo_enrolment WHERE replaced_by = $load_id OR load_id = $load_id;
DELETE FROM replaced_ho_enrolment WHERE replaced_by = $load_id OR load_id = $load_id;
DELETE FROM replaced_load_scope WHERE replaced_by = $load_id OR load_id = $load_id;
UPDATE load_log SET replaced_by = (SELECT max(k.replaced_by) FROM replaced_load_scope k WHERE k.load_id = load_log.load_id)
WHERE replaced_by = $load_id;
DELETE FROM vo_enrolment WHERE load_id = $load_id;
DELETE FROM mbo_enrolment WHERE load_id = $load_id;
DELETE FROM ho_enrolment WHERE load_id = $load_id;
DELETE FROM duo_vo_pupils WHERE load_id = $load_id;
DELETE FROM duo_exam_candidates WHERE load_id = $load_id;
DELETE FROM duo_mbo_entrants WHERE load_id = $load_id;
DELETE FROM duo_crebo_sector WHERE load_id = $load_id;
DELETE FROM activity WHERE load_id = $load_id;
DELETE FROM activity_participant WHERE load_id = $load_id;
DELETE FROM load_scope WHERE load_id = $load_id;
DELETE FROM load_log WHERE load_id = $load_id;
-- A pupil no enrolment row names any more leaves pupil too: a removed file (one keyed on the wrong column, an erasure)
-- leaves no hash behind. Its number may be given again; nothing refers to it.
DELETE FROM pupil WHERE pupil_number IN (
    SELECT p.pupil_number FROM pupil p
    ANTI JOIN (SELECT pupil_number FROM vo_enrolment UNION ALL SELECT pupil_number FROM mbo_enrolment
               UNION ALL SELECT pupil_number FROM ho_enrolment UNION ALL SELECT pupil_number FROM replaced_vo_enrolment
               UNION ALL SELECT pupil_number FROM replaced_mbo_enrolment UNION ALL SELECT pupil_number FROM replaced_ho_enrolment) n
        ON n.pupil_number = p.pupil_number);

-- name: forget_empty_load
-- A replaced load whose rows were not kept and that holds none: it goes, so that its file can be loaded again.
DELETE FROM load_scope WHERE load_id = $load_id;
DELETE FROM load_log WHERE load_id = $load_id;

-- name: meta_value
-- One setting stored with the database (such as its id or the demo's source fingerprint).
SELECT value FROM meta WHERE key = $key;

-- name: add_meta_value
-- Store a setting once; a plain INSERT so that a key like the database id can never be overwritten.
INSERT INTO meta VALUES ($key, $value);

-- name: set_meta_value
-- Store or replace a setting.
INSERT OR REPLACE INTO meta VALUES ($key, $value);

-- name: checkpoint
-- Write everything to the database file, so that a finished file can be moved or opened read-only.
CHECKPOINT;

-- name: chosen_years_of_load
-- The school years whose chosen vo records a load or its removal may change: those of its rows and of the rows it
-- moved aside (--replace) or brings back (removal). Before a removal, after a load's insert (integers only: cheap).
CREATE OR REPLACE TEMP TABLE chosen_years AS
SELECT DISTINCT school_year FROM vo_enrolment WHERE load_id = $load_id
UNION
SELECT DISTINCT school_year FROM replaced_vo_enrolment WHERE replaced_by = $load_id;

-- name: chosen_years_unset
-- The school years with rows whose chosen flag is not decided (a database from before the flag, rows written
-- directly); those rows start as chosen, as a load's own rows do, and chosen_refresh corrects them.
CREATE OR REPLACE TEMP TABLE chosen_years AS
SELECT DISTINCT school_year FROM vo_enrolment WHERE is_chosen IS NULL;
UPDATE vo_enrolment SET is_chosen = TRUE WHERE is_chosen IS NULL;

-- name: chosen_unset_rows
-- Whether any vo row waits for its chosen flag (a cheap scan of one boolean column).
SELECT EXISTS (SELECT 1 FROM vo_enrolment WHERE is_chosen IS NULL);

-- name: chosen_refresh
-- Decide the one vo record per pupil and year again in chosen_years: the record with the highest leerjaar (a known
-- one beats none), then the smallest school_id (docs/ARCHITECTURE.md). A pupil-year with one row that is marked
-- chosen is right as it is, so only pupil-years with more rows (or an unmarked one) are decided, and only changed
-- flags are written: a load of pupils without a second record costs one grouping of its years' rows. The grouping is on
-- the pupil's number (one number per hash: exact, and an integer groups cheaper than the text).
CREATE OR REPLACE TEMP TABLE chosen_touched AS
SELECT pupil_number, school_year
FROM vo_enrolment
WHERE school_year IN (SELECT school_year FROM chosen_years)
GROUP BY ALL
HAVING count(*) > 1 OR NOT bool_and(coalesce(is_chosen, FALSE));
UPDATE vo_enrolment v SET is_chosen = d.chosen
FROM (
    SELECT DISTINCT pupil_number, school_year, leerjaar, school_id, chosen
    FROM (
        SELECT r.pupil_number, r.school_year, r.leerjaar, r.school_id, r.is_chosen,
               r.leerjaar IS NOT DISTINCT FROM max(r.leerjaar) OVER (PARTITION BY r.pupil_number, r.school_year)
               AND (r.school_id IS NULL
                    OR r.school_id = min(r.school_id) OVER (PARTITION BY r.pupil_number, r.school_year, r.leerjaar)) AS chosen
        FROM vo_enrolment r
        SEMI JOIN chosen_touched t ON t.pupil_number = r.pupil_number AND t.school_year = r.school_year
        WHERE r.school_year IN (SELECT school_year FROM chosen_years)
    )
    WHERE is_chosen IS DISTINCT FROM chosen
) d
WHERE v.pupil_number = d.pupil_number AND v.school_year = d.school_year
  AND v.school_id IS NOT DISTINCT FROM d.school_id AND v.leerjaar IS NOT DISTINCT FROM d.leerjaar;
DROP TABLE chosen_touched;
DROP TABLE chosen_years;

-- name: pupils_unnumbered
-- Whether any enrolment row waits for its pupil number (a database from before the numbers, rows written directly).
SELECT EXISTS (SELECT 1 FROM vo_enrolment WHERE pupil_number IS NULL AND pupil_hash IS NOT NULL)
    OR EXISTS (SELECT 1 FROM mbo_enrolment WHERE pupil_number IS NULL AND pupil_hash IS NOT NULL)
    OR EXISTS (SELECT 1 FROM ho_enrolment WHERE pupil_number IS NULL AND pupil_hash IS NOT NULL)
    OR EXISTS (SELECT 1 FROM replaced_vo_enrolment WHERE pupil_number IS NULL AND pupil_hash IS NOT NULL)
    OR EXISTS (SELECT 1 FROM replaced_mbo_enrolment WHERE pupil_number IS NULL AND pupil_hash IS NOT NULL)
    OR EXISTS (SELECT 1 FROM replaced_ho_enrolment WHERE pupil_number IS NULL AND pupil_hash IS NOT NULL);

-- name: number_unset_pupils
-- Number the pupils of rows without a number: a pupil in pupil keeps its number, a new one gets the next free one.
CREATE OR REPLACE TEMP TABLE unnumbered_pupils AS
SELECT u.pupil_hash,
       ((SELECT coalesce(max(pupil_number), 0) FROM pupil) + row_number() OVER (ORDER BY hash(u.pupil_hash), u.pupil_hash))::INTEGER AS pupil_number
FROM (
    SELECT pupil_hash FROM vo_enrolment WHERE pupil_number IS NULL
    UNION SELECT pupil_hash FROM mbo_enrolment WHERE pupil_number IS NULL
    UNION SELECT pupil_hash FROM ho_enrolment WHERE pupil_number IS NULL
    UNION SELECT pupil_hash FROM replaced_vo_enrolment WHERE pupil_number IS NULL
    UNION SELECT pupil_hash FROM replaced_mbo_enrolment WHERE pupil_number IS NULL
    UNION SELECT pupil_hash FROM replaced_ho_enrolment WHERE pupil_number IS NULL
) u
ANTI JOIN pupil p ON p.pupil_hash = u.pupil_hash
WHERE u.pupil_hash IS NOT NULL;
INSERT INTO pupil SELECT pupil_hash, pupil_number FROM unnumbered_pupils;
UPDATE vo_enrolment v SET pupil_number = p.pupil_number FROM pupil p WHERE v.pupil_number IS NULL AND v.pupil_hash = p.pupil_hash;
UPDATE mbo_enrolment v SET pupil_number = p.pupil_number FROM pupil p WHERE v.pupil_number IS NULL AND v.pupil_hash = p.pupil_hash;
UPDATE ho_enrolment v SET pupil_number = p.pupil_number FROM pupil p WHERE v.pupil_number IS NULL AND v.pupil_hash = p.pupil_hash;
UPDATE replaced_vo_enrolment v SET pupil_number = p.pupil_number FROM pupil p WHERE v.pupil_number IS NULL AND v.pupil_hash = p.pupil_hash;
UPDATE replaced_mbo_enrolment v SET pupil_number = p.pupil_number FROM pupil p WHERE v.pupil_number IS NULL AND v.pupil_hash = p.pupil_hash;
UPDATE replaced_ho_enrolment v SET pupil_number = p.pupil_number FROM pupil p WHERE v.pupil_number IS NULL AND v.pupil_hash = p.pupil_hash;
DROP TABLE unnumbered_pupils;
