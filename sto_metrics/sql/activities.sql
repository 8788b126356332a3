-- Activities: the region's register and participant lists (loading/activities.py) and the figures
-- reach and activity-effect (metrics/activities.py). docs/data-contract.md describes the files.

-- name: stage_activity_file
-- Read an activities register or participant list into activity_staged: one text column per field, whatever the layout.
-- As stage_file: the columns parameter names each column after its field (others c0, c1, ...); a missing field is NULL.
CREATE OR REPLACE TEMP TABLE activity_staged AS
WITH raw AS (
    SELECT row_number() OVER () AS row_nr, *, concat(*COLUMNS(*)) AS joined, [*COLUMNS(*)] AS cells
    FROM read_csv($path, delim=$delim, header=false, skip=$skip, quote='"', escape='"', null_padding=true,
                  auto_detect=false, columns=$columns, max_line_size=$max_line)
), every_field AS (
    SELECT NULL::VARCHAR AS activity_id,
           NULL::VARCHAR AS name,
           NULL::VARCHAR AS activity_type,
           NULL::VARCHAR AS school_year,
           NULL::VARCHAR AS activity_date,
           NULL::VARCHAR AS school,
           NULL::VARCHAR AS leerjaar,
           NULL::VARCHAR AS participants,
           NULL::VARCHAR AS girls,
           NULL::VARCHAR AS pupil_key
    WHERE false
    UNION ALL BY NAME
    SELECT * FROM raw
)
SELECT row_nr,
       nullif(trim(activity_id), '') AS activity_id,
       nullif(trim(name), '') AS name,
       nullif(trim(activity_type), '') AS activity_type,
       nullif(trim(school_year), '') AS school_year,
       nullif(trim(activity_date), '') AS activity_date,
       nullif(trim(school), '') AS school,
       nullif(trim(leerjaar), '') AS leerjaar,
       nullif(trim(participants), '') AS participants,
       nullif(trim(girls), '') AS girls,
       nullif(trim(pupil_key), '') AS pupil_key,
       trim(joined) = '' AS is_blank,
       CASE WHEN contains(joined, '=') OR contains(joined, '+') OR contains(joined, '@')
            THEN len(list_filter(cells, lambda c: left(ltrim(c), 1) IN ('=', '+', '@'))) ELSE 0 END AS formula_cells
FROM every_field;

-- name: activity_staged_counts
-- Rows read, rows with a value, rows of empty cells and formula-like cells.
SELECT count(*), count(*) FILTER (NOT is_blank), count(*) FILTER (is_blank), coalesce(sum(formula_cells), 0) FROM activity_staged;

-- name: activity_normalise
-- Typed rows of an activities register. A school that is not a vo location code (empty, or a primary school's
-- name) leaves school_id NULL: the activity is counted for the region. A count may be written '25' or '25,0'.
CREATE OR REPLACE TEMP TABLE activity_rows AS
SELECT s.row_nr,
       s.activity_id,
       s.name,
       s.activity_type AS activity_type_raw,
       t.value AS activity_type,
       s.school_year AS school_year_raw,
       school_year_start(s.school_year) AS school_year,
       s.activity_date AS activity_date_raw,
       coalesce(TRY_CAST(try_strptime(s.activity_date, ['%d-%m-%Y', '%Y-%m-%d', '%d/%m/%Y', '%d-%m-%y', '%Y-%m-%d %H:%M:%S']) AS DATE),
                TRY_CAST(s.activity_date AS DATE)) AS activity_date,
       s.school AS school_raw,
       school_code(s.school) AS school_code,
       -- only a known vo location counts as a school (a primary school's brin is not one)
       CASE WHEN school_code(s.school) IN (SELECT school_id FROM vo_enrolment UNION SELECT school_id FROM school
                                           WHERE school_type IS NULL OR school_type NOT IN ('mbo', 'ho'))
            THEN school_code(s.school) END AS school_id,
       s.leerjaar AS leerjaar_raw,
       leerjaar_number(s.leerjaar) AS leerjaar,
       s.participants AS participants_raw,
       TRY_CAST(regexp_replace(s.participants, '[,.]0+$', '') AS INTEGER) AS participants,
       s.girls AS girls_raw,
       TRY_CAST(regexp_replace(s.girls, '[,.]0+$', '') AS INTEGER) AS girls
FROM activity_staged s
LEFT JOIN ref_alias t ON t.domain = 'activity_type' AND t.alias = norm_text(s.activity_type)
WHERE NOT s.is_blank;

-- name: activity_fatal_problems
-- Rows whose values decide what is counted and cannot be read: the register is refused.
SELECT row_nr, column_field, problem FROM (
    SELECT row_nr, 'activity_id' AS column_field, 'leeg' AS problem FROM activity_rows WHERE activity_id IS NULL
    UNION ALL SELECT row_nr, 'school_year', CASE WHEN school_year_raw IS NULL THEN 'leeg' ELSE 'onbekend_schooljaar' END
        FROM activity_rows WHERE school_year IS NULL
    UNION ALL SELECT row_nr, 'activity_type', CASE WHEN activity_type_raw IS NULL THEN 'leeg' ELSE 'onbekende_soort' END
        FROM activity_rows WHERE activity_type IS NULL
    UNION ALL SELECT row_nr, 'participants', CASE WHEN participants_raw IS NULL THEN 'leeg' ELSE 'geen_aantal' END
        FROM activity_rows WHERE participants IS NULL OR participants < 0
    UNION ALL SELECT row_nr, 'girls', 'geen_aantal' FROM activity_rows WHERE girls_raw IS NOT NULL AND (girls IS NULL OR girls < 0)
    UNION ALL SELECT row_nr, 'girls', 'meer_meisjes' FROM activity_rows WHERE girls > participants
    UNION ALL SELECT row_nr, 'leerjaar', 'ongeldig_leerjaar' FROM activity_rows
        WHERE leerjaar_raw IS NOT NULL AND (leerjaar IS NULL OR leerjaar < 1 OR leerjaar > 8)
    UNION ALL SELECT row_nr, 'activity_date', 'geen_datum' FROM activity_rows WHERE activity_date_raw IS NOT NULL AND activity_date IS NULL
)
ORDER BY row_nr, column_field
LIMIT 1000;

-- name: activity_overlap
-- Earlier loads that hold one of this register's activity ids.
SELECT a.load_id, any_value(l.file_name) AS file_name, min(a.activity_id) AS activity_id, count(DISTINCT a.activity_id) AS ids
FROM activity a
JOIN load_log l USING (load_id)
WHERE a.activity_id IN (SELECT activity_id FROM activity_rows)
GROUP BY a.load_id
ORDER BY a.load_id;

-- name: activity_replace_overlap
-- --replace: earlier rows of the same activity ids go; their loads are marked as replaced by this one.
UPDATE load_log SET replaced_by = $load_id
WHERE load_id IN (SELECT load_id FROM activity WHERE activity_id IN (SELECT activity_id FROM activity_rows));
DELETE FROM activity WHERE activity_id IN (SELECT activity_id FROM activity_rows);

-- name: activity_insert
-- Store the register's rows and the (school, school year) pairs it covers (school NULL = the region).
INSERT INTO activity
SELECT $load_id, activity_id, name, activity_type, school_year, activity_date, school_id,
       CASE WHEN school_id IS NULL THEN school_raw END, leerjaar, participants, girls
FROM activity_rows;
INSERT INTO load_scope SELECT DISTINCT $load_id, school_id, school_year FROM activity_rows;

-- name: activity_rows_of_load
-- Rows an activities load stored (register rows or participants).
SELECT (SELECT count(*) FROM activity WHERE load_id = $load_id) + (SELECT count(*) FROM activity_participant WHERE load_id = $load_id);

-- name: participant_normalise
-- Typed rows of a participant list: the key normalised and pseudonymised exactly as a pupil key in a vo export
-- (so '012345' and '12345' link to the same pupil), the first row kept when a pupil is listed twice for one activity.
CREATE OR REPLACE TEMP TABLE participant_rows AS
SELECT row_nr, activity_id, pupil_key, pupil_hash,
       row_number() OVER (PARTITION BY activity_id, pupil_hash ORDER BY row_nr) AS nth
FROM (
    SELECT s.row_nr, s.activity_id, s.pupil_key,
           CASE WHEN s.pupil_key IS NOT NULL THEN pseudonym(s.pupil_key, $hmac_inner, $hmac_outer) END AS pupil_hash
    FROM activity_staged s
    WHERE NOT s.is_blank
);

-- name: participant_fatal_problems
-- Rows of a participant list without a pupil key or with an activity id the register does not hold: refused.
SELECT row_nr, column_field, problem FROM (
    SELECT row_nr, 'activity_id' AS column_field, 'leeg' AS problem FROM participant_rows WHERE activity_id IS NULL
    UNION ALL SELECT row_nr, 'pupil_key', 'leeg' FROM participant_rows WHERE pupil_key IS NULL
    UNION ALL SELECT row_nr, 'activity_id', 'onbekende_activiteit' FROM participant_rows
        WHERE activity_id IS NOT NULL AND activity_id NOT IN (SELECT activity_id FROM activity)
)
ORDER BY row_nr, column_field
LIMIT 1000;

-- name: participant_row_problems
-- Non-fatal problems of a participant list: a pupil listed twice for one activity, a key that matches no vo pupil.
SELECT count(*) FILTER (nth > 1) AS duplicate_n,
       min(row_nr) FILTER (nth > 1) AS duplicate_row,
       count(*) FILTER (nth = 1 AND pupil_hash NOT IN (SELECT pupil_hash FROM vo_enrolment)) AS not_found_n,
       min(row_nr) FILTER (nth = 1 AND pupil_hash NOT IN (SELECT pupil_hash FROM vo_enrolment)) AS not_found_row,
       EXISTS (SELECT 1 FROM vo_enrolment) AS vo_loaded
FROM participant_rows;

-- name: participant_overlap
-- Earlier participant lists of one of this list's activities.
SELECT p.load_id, any_value(l.file_name) AS file_name, min(p.activity_id) AS activity_id, count(DISTINCT p.activity_id) AS ids
FROM activity_participant p
JOIN load_log l USING (load_id)
WHERE p.activity_id IN (SELECT activity_id FROM participant_rows)
GROUP BY p.load_id
ORDER BY p.load_id;

-- name: participant_replace_overlap
-- --replace: earlier participants of the same activities go; their lists are marked as replaced by this one.
UPDATE load_log SET replaced_by = $load_id
WHERE load_id IN (SELECT load_id FROM activity_participant WHERE activity_id IN (SELECT activity_id FROM participant_rows));
DELETE FROM activity_participant WHERE activity_id IN (SELECT activity_id FROM participant_rows);

-- name: participant_insert
-- Store the list (pupil hashes only) and the (school, school year) pairs of its activities.
INSERT INTO activity_participant SELECT DISTINCT $load_id, activity_id, pupil_hash FROM participant_rows WHERE nth = 1;
INSERT INTO load_scope
SELECT DISTINCT $load_id, a.school_id, a.school_year
FROM activity a WHERE a.activity_id IN (SELECT activity_id FROM participant_rows);

-- name: activity_school_notices
-- School codes in the register that are no known vo location (counted for the region), for a notice.
SELECT count(*), min(row_nr), string_agg(DISTINCT school_code, ', ' ORDER BY school_code)
FROM activity_rows WHERE school_code IS NOT NULL AND school_id IS NULL;

-- name: reach_headcounts
-- Reach from the register: per school year, school (NULL = the region: no vo school) and activity kind the number of
-- activities, the head counts of participants and girls (an empty 'meisjes' counts 0) and the leerjaren reached
-- (lowest to highest; a row without leerjaar means the whole school: 1 to 6).
SELECT a.school_year::INTEGER AS school_year,
       a.school_id,
       a.activity_type,
       coalesce(any_value(t.name), a.activity_type) AS activity_type_name,
       count(DISTINCT a.activity_id)::BIGINT AS activities,
       sum(a.participants)::BIGINT AS participants,
       sum(coalesce(a.girls, 0))::BIGINT AS girls,
       CASE WHEN bool_or(a.leerjaar IS NULL) THEN 1 ELSE least(min(a.leerjaar), 6) END AS leerjaar_from,
       CASE WHEN bool_or(a.leerjaar IS NULL) THEN 6 ELSE least(max(a.leerjaar), 6) END AS leerjaar_to
FROM activity a
LEFT JOIN ref_activity_type t ON t.code = a.activity_type
GROUP BY a.school_year, a.school_id, a.activity_type
ORDER BY 1, 2, 3;

-- name: enrolment_cells
-- The inner cells of the enrolment beside reach: pupils per school year, school and leerjaar (the one chosen vo
-- record per pupil and year, as in every metric), for the schools and years the register names.
-- leerweg and gender are one value each: reach is not split or filtered by them.
SELECT r.school_year::INTEGER AS school_year,
       r.school_id,
       '*' AS leerweg,
       '*' AS gender,
       CAST(least(r.leerjaar, 6) AS VARCHAR) AS leerjaar,
       count(*)::BIGINT AS pupils
FROM vo_enrolment r
WHERE (r.school_id, r.school_year) IN (SELECT DISTINCT school_id, school_year FROM activity WHERE school_id IS NOT NULL)
  AND r.leerjaar IS NOT NULL
  AND r.is_chosen
GROUP BY ALL
ORDER BY ALL;

-- name: activity_cells
-- The inner cells of the activity figures, one protected table (privacy/cross.py activity_model), per block year Y:
-- the inflow's pupils (vmbo leerjaar 3 in Y, the chosen record, per school, leerweg, gender group and profile class),
-- split into grp 'd' (on a participant list of an activity in an earlier school year) and 'n' (every other pupil),
-- and reached = the vo school (chosen record) of the pupils on a list in Y-1, '-' for the others; then the pupils on a
-- list in Y-1 who are not in that leerjaar-3 grid (grp, profile_class, leerweg and gender '-', school_id = reached).
-- Reached in Y-1 counted in block Y puts reach-pupils beside the leerjaar-3 cohort it mostly becomes.
-- Only years after the first school year with participant lists. (A third group for schools without lists was
-- tried: its cells are always 0 at the other schools, and such known zeros let a pupil count be worked back.)
-- Summed over grp 'd'/'n' and reached these are exactly the inflow's inner cells (the privacy layer relies on it).
WITH listed AS (
    SELECT DISTINCT p.pupil_hash, a.school_year
    FROM activity_participant p
    JOIN activity a USING (activity_id)
),
first_listed AS (
    SELECT min(school_year) AS school_year FROM listed
),
reached AS (
    SELECT l.pupil_hash, l.school_year + 1 AS block_year, r.school_id AS reached
    FROM listed l
    JOIN vo_enrolment r ON r.pupil_hash = l.pupil_hash AND r.school_year = l.school_year
    WHERE r.leerjaar IS NOT NULL
      AND r.is_chosen
),
vo_record AS (
    SELECT r.*
    FROM vo_enrolment r
    WHERE r.education_type = 'vmbo' AND r.leerjaar = 3 AND r.is_chosen
      AND r.school_year > (SELECT school_year FROM first_listed)
)
SELECT
    r.school_year::INTEGER AS school_year,
    r.school_id,
    coalesce(r.leerweg, 'onbekend') AS leerweg,
    CASE WHEN r.gender = 'V' THEN 'V' ELSE 'M' END AS gender,
    CASE WHEN EXISTS (SELECT 1 FROM listed l WHERE l.pupil_hash = r.pupil_hash AND l.school_year < r.school_year)
         THEN 'd' ELSE 'n' END AS grp,
    profile_class(p.code, p.level, p.technical, p.is_dp, p.contains_nt, p.contains_n) AS profile_class,
    coalesce(h.reached, '-') AS reached,
    count(*)::BIGINT AS pupils
FROM vo_record r
LEFT JOIN ref_profile p
    ON p.code = r.profile_code
   AND p.level IN ('vmbo', 'vmbo_tl')
LEFT JOIN reached h
    ON h.pupil_hash = r.pupil_hash AND h.block_year = r.school_year
GROUP BY ALL
UNION ALL
SELECT h.block_year::INTEGER, h.reached, '-', '-', '-', '-', h.reached, count(*)::BIGINT
FROM reached h
WHERE NOT EXISTS (SELECT 1 FROM vo_record r WHERE r.pupil_hash = h.pupil_hash AND r.school_year = h.block_year)
GROUP BY ALL
ORDER BY ALL;

-- name: participants_not_found_by_load
-- Per participant list, the participants that match no pupil in the vo data (now): for the data-quality report.
-- The vo rows are probed with the (few) participants first: the Data page asks at every run, and a national vo table
-- holds millions of rows (NOT IN built a hash of all of them: 0.6-0.9 s, also with no participant at all).
WITH found AS (
    SELECT DISTINCT pupil_hash FROM vo_enrolment WHERE pupil_hash IN (SELECT pupil_hash FROM activity_participant)
)
SELECT p.load_id, count(DISTINCT p.pupil_hash) FILTER (f.pupil_hash IS NULL) AS not_found
FROM activity_participant p
LEFT JOIN found f USING (pupil_hash)
GROUP BY p.load_id
ORDER BY p.load_id;

-- name: activity_type_names
-- The activity kinds with their Dutch names (reference table), for labels.
SELECT code, name FROM ref_activity_type ORDER BY code;

-- name: activity_register_rows
-- The register as stored, in the file's own columns (for editing in the dashboard and its backup).
SELECT activity_id AS activiteit_id, name AS naam, activity_type AS soort,
       school_year::VARCHAR || '-' || (school_year + 1)::VARCHAR AS schooljaar,
       coalesce(strftime(activity_date, '%d-%m-%Y'), '') AS datum, coalesce(school_id, school_label, '') AS school,
       coalesce(leerjaar::VARCHAR, '') AS leerjaar, participants::VARCHAR AS deelnemers, coalesce(girls::VARCHAR, '') AS meisjes
FROM activity
ORDER BY school_year, activity_id, school_id NULLS FIRST, school_label, leerjaar;

-- name: listed_activities_missing
-- Activities with a participant list that the new whole register no longer holds (saving it would orphan the list).
SELECT DISTINCT activity_id FROM activity_participant
WHERE activity_id NOT IN (SELECT activity_id FROM activity_rows)
ORDER BY activity_id
LIMIT 5;

-- name: activity_replace_all
-- Saving the whole register from the dashboard: every earlier register row goes; their loads are marked replaced.
UPDATE load_log SET replaced_by = $load_id
WHERE replaced_by IS NULL AND load_id IN (SELECT load_id FROM activity);
DELETE FROM activity;
