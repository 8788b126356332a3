-- name: duo_stage_file
-- Read a DUO open-data file into duo_staged: one text column per field (named by sto_metrics/loading/duo.py
-- from the header aliases), count columns named n_..., row numbers; a field the file lacks stays NULL.
CREATE OR REPLACE TEMP TABLE duo_staged AS
WITH raw AS (
    SELECT row_number() OVER () AS row_nr, *
    FROM read_csv($path, delim=$delim, header=false, skip=$skip, quote='"', escape='"', null_padding=true,
                  auto_detect=false, columns=$columns, max_line_size=$max_line)
), every_field AS (
    SELECT NULL::VARCHAR AS brin, NULL::VARCHAR AS vestiging, NULL::VARCHAR AS school_name, NULL::VARCHAR AS place,
           NULL::VARCHAR AS province, NULL::VARCHAR AS municipality, NULL::VARCHAR AS education,
           NULL::VARCHAR AS vmbo_sector, NULL::VARCHAR AS afdeling, NULL::VARCHAR AS programme_name,
           NULL::VARCHAR AS prior_vo, NULL::VARCHAR AS prior_mbo, NULL::VARCHAR AS institution,
           NULL::VARCHAR AS institution_name, NULL::VARCHAR AS crebo, NULL::VARCHAR AS level, NULL::VARCHAR AS route,
           NULL::VARCHAR AS dossier, NULL::VARCHAR AS sectorkamer
    WHERE false
    UNION ALL BY NAME
    SELECT * FROM raw
)
SELECT * REPLACE (
    -- old files: BRIN + 2-digit vestigingsnummer; new files may carry the full 6-character code already
    CASE WHEN length(trim(vestiging)) = 6 THEN upper(trim(vestiging))
         ELSE upper(trim(brin)) || lpad(trim(vestiging), 2, '0') END AS vestiging
) FROM every_field;

-- name: duo_staged_row_count
-- Rows read from the DUO file.
SELECT count(*) FROM duo_staged;

-- name: duo_count_cells
-- Every count cell of the staged file as one row (row, cell name, text), with its bounds: '<5' is 1 to 4,
-- a number n is n to n, an empty cell is absent; `bad` marks text that is neither.
CREATE OR REPLACE TEMP TABLE duo_cells AS
WITH cells AS (
    UNPIVOT (SELECT row_nr, COLUMNS('^n_') FROM duo_staged) ON COLUMNS('^n_') INTO NAME cell VALUE raw
)
SELECT row_nr, cell, raw,
       CASE WHEN regexp_full_match(trim(raw), '<\s*5') THEN 1 ELSE TRY_CAST(trim(raw) AS INTEGER) END AS count_min,
       CASE WHEN regexp_full_match(trim(raw), '<\s*5') THEN 4 ELSE TRY_CAST(trim(raw) AS INTEGER) END AS count_max,
       NOT (regexp_full_match(trim(raw), '<\s*5') OR regexp_full_match(trim(raw), '[0-9]+')) AS bad
FROM cells
WHERE trim(raw) <> '';

-- name: duo_bad_cells
-- Cells that are not a count: the first ones, for the Dutch refusal message (row number and cell name).
SELECT row_nr, cell FROM duo_cells WHERE bad ORDER BY row_nr, cell LIMIT 5;

-- name: duo_bad_cell_count
-- How many cells are not a count.
SELECT count(*) FROM duo_cells WHERE bad;

-- name: duo_missing_keys
-- Rows with counts but without a valid vestiging code (the first ones): a refusal.
SELECT s.row_nr FROM duo_staged s
WHERE NOT regexp_full_match(coalesce(s.vestiging, ''), '[0-9]{2}[A-Z0-9]{2}[0-9]{2}')
  AND EXISTS (SELECT 1 FROM duo_cells c WHERE c.row_nr = s.row_nr)
ORDER BY s.row_nr LIMIT 5;

-- name: duo_pupil_rows
-- File 1 as canonical rows: onderwijstype -> education type and leerweg, afdeling/opleiding/sector -> profile
-- through the same aliases as the exports; one row per vestiging, row kind, leerjaar and gender, bounds summed.
CREATE OR REPLACE TEMP TABLE duo_ready AS
WITH typed AS (
    SELECT s.row_nr, s.vestiging AS school_id, s.school_name, s.place, s.province,
           CASE WHEN upper(trim(s.education)) LIKE 'VMBO%' THEN 'vmbo'
                WHEN upper(trim(s.education)) LIKE 'HAVO/VWO%' THEN 'havo/vwo'
                WHEN upper(trim(s.education)) LIKE 'HAVO%' THEN 'havo'
                WHEN upper(trim(s.education)) LIKE 'VWO%' THEN 'vwo'
                WHEN upper(trim(s.education)) LIKE 'BRUGJAAR%' THEN 'brugjaar'
                ELSE 'overig' END AS education_type,
           CASE regexp_extract(upper(s.education), '\b(BL|BB|KL|KB|GL|TL|GT)\b', 1)
                WHEN 'BL' THEN 'BB' WHEN 'BB' THEN 'BB' WHEN 'KL' THEN 'KB' WHEN 'KB' THEN 'KB'
                WHEN 'GL' THEN 'GL' WHEN 'TL' THEN 'TL' WHEN 'GT' THEN 'TL' END AS leerweg,
           s.afdeling, s.programme_name, s.vmbo_sector
    FROM duo_staged s
), profiled AS (
    SELECT t.*,
           CASE WHEN t.education_type = 'vmbo' THEN coalesce(
               (SELECT value FROM ref_alias WHERE domain = 'profile:vmbo' AND alias = norm_text(t.afdeling)),
               (SELECT value FROM ref_alias WHERE domain = 'profile:vmbo' AND alias = norm_text(t.programme_name)),
               (SELECT value FROM ref_alias WHERE domain = 'profile:vmbo_tl' AND alias = norm_text(t.vmbo_sector)),
               (SELECT value FROM ref_alias WHERE domain = 'profile:vmbo_tl' AND alias = norm_text(t.afdeling)),
               (SELECT value FROM ref_alias WHERE domain = 'profile:vmbo_tl' AND alias = norm_text(t.programme_name)))
           END AS profile_code
    FROM typed t
)
SELECT p.row_nr, p.school_id, p.school_name, p.place, p.province, p.education_type, p.leerweg, p.profile_code,
       CAST(split_part(c.cell, '_', 2) AS INTEGER) AS leerjaar, split_part(c.cell, '_', 3) AS gender,
       c.count_min, c.count_max
FROM profiled p JOIN duo_cells c USING (row_nr);

-- name: duo_pupils_insert
-- Store file 1 for $school_year: earlier rows of that year go (reference data: the newer file replaces them).
DELETE FROM duo_vo_pupils WHERE school_year = $school_year;
INSERT INTO duo_vo_pupils
SELECT $load_id, $school_year, school_id, any_value(school_name), any_value(place), any_value(province),
       education_type, leerweg, leerjaar, profile_code, gender, sum(count_min), sum(count_max)
FROM duo_ready
GROUP BY school_id, education_type, leerweg, leerjaar, profile_code, gender;

-- name: duo_unknown_vmbo_profiles
-- vmbo rows (leerjaar 3 and up) of file 1 whose afdeling/opleiding is not a known profile (they do not count), and the first one.
SELECT count(DISTINCT row_nr), min(row_nr) FROM duo_ready WHERE education_type = 'vmbo' AND leerjaar >= 3 AND profile_code IS NULL;

-- name: duo_exam_rows
-- File 2 as canonical rows: per row and school year, candidates and passes; a TOTAAL cell and the MAN+VROUW
-- sum are both bounds on the same count, so the tighter of the two is kept.
CREATE OR REPLACE TEMP TABLE duo_ready AS
WITH split AS (
    SELECT row_nr, CAST(split_part(cell, '_', 2) AS INTEGER) AS school_year, split_part(cell, '_', 3) AS measure,
           split_part(cell, '_', 4) AS gender, count_min, count_max
    FROM duo_cells
), per_measure AS (
    SELECT row_nr, school_year, measure,
           max(count_min) FILTER (WHERE gender = 'T') AS t_min, max(count_max) FILTER (WHERE gender = 'T') AS t_max,
           sum(count_min) FILTER (WHERE gender <> 'T') AS mv_min, sum(count_max) FILTER (WHERE gender <> 'T') AS mv_max
    FROM split GROUP BY ALL
), bounded AS (
    SELECT row_nr, school_year, measure,
           greatest(coalesce(t_min, mv_min), coalesce(mv_min, t_min)) AS n_min,
           least(coalesce(t_max, mv_max), coalesce(mv_max, t_max)) AS n_max
    FROM per_measure
), typed AS (
    SELECT s.row_nr, s.vestiging AS school_id, s.school_name, s.municipality,
           CASE WHEN upper(trim(s.education)) LIKE 'HAVO%' THEN 'havo'
                WHEN upper(trim(s.education)) LIKE 'VWO%' THEN 'vwo'
                WHEN upper(trim(s.education)) LIKE 'VMBO%' THEN 'vmbo'
                ELSE 'overig' END AS education_type,
           -- 'HAVO - N&T / N&G' -> 'nt/ng', the spelling of the profile aliases
           replace(replace(lower(trim(regexp_replace(s.programme_name, '^[^-]*-\s*', ''))), ' ', ''), '&', '') AS profile_text
    FROM duo_staged s
)
SELECT t.row_nr, t.school_id, t.school_name, t.municipality, t.education_type,
       CASE WHEN t.education_type IN ('havo', 'vwo')
            THEN (SELECT value FROM ref_alias WHERE domain = 'profile:havo_vwo' AND alias = norm_text(t.profile_text)) END AS profile_code,
       b.school_year,
       max(b.n_min) FILTER (WHERE b.measure = 'k') AS candidates_min, max(b.n_max) FILTER (WHERE b.measure = 'k') AS candidates_max,
       max(b.n_min) FILTER (WHERE b.measure = 'g') AS passed_min, max(b.n_max) FILTER (WHERE b.measure = 'g') AS passed_max
FROM typed t JOIN bounded b USING (row_nr)
GROUP BY ALL;

-- name: duo_exam_years
-- The school years a staged exam file covers.
SELECT DISTINCT school_year FROM duo_ready ORDER BY 1;

-- name: duo_exam_insert
-- Store file 2: its school years replace the same years of earlier exam files.
DELETE FROM duo_exam_candidates WHERE school_year IN (SELECT school_year FROM duo_ready);
INSERT INTO duo_exam_candidates
SELECT $load_id, school_year, school_id, school_name, municipality, education_type, profile_code,
       coalesce(candidates_min, 0), coalesce(candidates_max, 0), passed_min, passed_max
FROM duo_ready;

-- name: duo_unknown_exam_profiles
-- havo/vwo rows of file 2 whose profile is not known (they do not count), and the first one.
SELECT count(DISTINCT row_nr), min(row_nr) FROM duo_ready WHERE education_type IN ('havo', 'vwo') AND profile_code IS NULL;

-- name: duo_mbo_insert
-- Store file 3 for $school_year (entrants per prior education and programme); earlier rows of that year go.
DELETE FROM duo_mbo_entrants WHERE school_year = $school_year;
INSERT INTO duo_mbo_entrants
SELECT $load_id, $school_year, trim(s.prior_vo), trim(s.prior_mbo), upper(trim(s.institution)), trim(s.institution_name),
       ltrim(trim(s.crebo), '0'), trim(s.programme_name), TRY_CAST(s.level AS INTEGER), trim(s.route),
       c.count_min, c.count_max
FROM duo_staged s JOIN duo_cells c ON c.row_nr = s.row_nr AND c.cell = 'n_entrants';

-- name: duo_crebo_insert
-- Store DUO's crebo -> sectorkamer table; a newer file replaces the whole table.
DELETE FROM duo_crebo_sector;
INSERT INTO duo_crebo_sector
SELECT DISTINCT $load_id, ltrim(trim(crebo), '0'), trim(sectorkamer)
FROM duo_staged WHERE trim(coalesce(crebo, '')) <> '' AND trim(coalesce(sectorkamer, '')) <> '';

-- name: duo_rows_of_load
-- How many rows a DUO load stored, over the four DUO tables.
SELECT (SELECT count(*) FROM duo_vo_pupils WHERE load_id = $load_id)
     + (SELECT count(*) FROM duo_exam_candidates WHERE load_id = $load_id)
     + (SELECT count(*) FROM duo_mbo_entrants WHERE load_id = $load_id)
     + (SELECT count(*) FROM duo_crebo_sector WHERE load_id = $load_id);

-- name: duo_insert_scope
-- What a DUO load covers: a school year without a school (public aggregate data of the whole country).
INSERT INTO load_scope VALUES ($load_id, NULL, $school_year);

-- name: duo_mark_replaced
-- Earlier DUO loads of the same kind that no longer hold any row are marked as replaced by this one.
UPDATE load_log SET replaced_by = $load_id
WHERE kind = $kind AND load_id <> $load_id AND replaced_by IS NULL
  AND load_id NOT IN (SELECT load_id FROM duo_vo_pupils UNION SELECT load_id FROM duo_exam_candidates
                      UNION SELECT load_id FROM duo_mbo_entrants UNION SELECT load_id FROM duo_crebo_sector);

-- name: duo_read_floor
-- The bare read of a DUO file, every cell as text and nothing else: the floor of bench/duo_load_bench.py.
CREATE OR REPLACE TEMP TABLE duo_floor AS
SELECT * FROM read_csv($path, delim=';', header=true, quote='"', escape='"', all_varchar=true);
SELECT count(*) FROM duo_floor;
