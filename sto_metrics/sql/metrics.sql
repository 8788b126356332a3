-- Metric queries (docs/metrics.md). Each returns the inner cells of one figure family: the finest counts, of
-- which every published figure (any scope, split, filter or setting) is a sum. Values arrive as bound parameters:
--   level      $level: 'vmbo' or 'havo-vwo'
--   flows      $start_year
-- Shared rules are macros stored with the database (sql/schema.sql):
--   * vo_enrolment.is_chosen: one vo record per pupil and year, highest leerjaar, then smallest
--     school_id (ARCHITECTURE.md), decided when rows are written (sql/load.sql, chosen_refresh);
--   * a pupil's records in different tables and years are linked on pupil_number (one per pupil_hash, sql/load.sql:
--     number_load_pupils): an integer joins several times faster than the 64-character hash;
--   * the gender group: 'V', or 'M' for everyone else (M, X, unknown): X alone is too rare to publish or protect,
--     and DUO publishes man/vrouw too;
--   * a profile is known when it is in ref_profile at a level that fits the education type;
--   * profile_class (macro): the privacy layer uses the classes to protect all settings at once.

-- name: inflow_cells
-- The inner cells of inflow: pupils in vmbo leerjaar 3 / havo-vwo leerjaar 4 per school year, school, leerweg
-- (havo/vwo: education type), gender group and profile class. Every published inflow figure, whatever its scope,
-- split, filter or setting, is a sum of these cells (the privacy layer protects them as one table).
-- gender: 'V', or 'M' for every other pupil (M, X, unknown: X is too rare to show apart, DUO shows man/vrouw).
-- Columns: school_year, school_id, leerweg, gender, profile_class ('core' | 'extra' | 'other' | 'unknown'), pupils.
WITH vo_record AS (
    SELECT *
    FROM vo_enrolment r
    WHERE r.is_chosen
      AND CASE WHEN $level = 'vmbo'
               THEN r.education_type = 'vmbo' AND r.leerjaar = 3
               ELSE r.education_type IN ('havo', 'vwo') AND r.leerjaar = 4 END
)
SELECT
    r.school_year::INTEGER AS school_year,
    r.school_id,
    CASE WHEN r.education_type = 'vmbo' THEN coalesce(r.leerweg, 'onbekend') ELSE r.education_type END AS leerweg,
    CASE WHEN r.gender = 'V' THEN 'V' ELSE 'M' END AS gender,
    profile_class(p.code, p.level, p.technical, p.is_dp, p.contains_nt, p.contains_n) AS profile_class,
    count(*)::BIGINT AS pupils
FROM vo_record r
LEFT JOIN ref_profile p
    ON p.code = r.profile_code
   AND CASE WHEN r.education_type = 'vmbo' THEN p.level IN ('vmbo', 'vmbo_tl') ELSE p.level = 'havo_vwo' END
GROUP BY ALL
ORDER BY ALL;

-- name: destination_cells
-- The inner cells of destinations and progression: diploma holders of cohort Y (their vo record for Y says
-- diploma) by destination on 1 October of Y+1 (priority ho > mbo > vo; technical if any enrolment at that
-- level is technical), per school (of the Y record), leerweg, gender group and profile class.
-- Only cohorts for which the database holds mbo or ho enrolments in Y+1.
-- Columns: school_year, school_id, leerweg, gender, profile_class, destination, pupils.
WITH known_years AS (
    SELECT DISTINCT school_year - 1 AS cohort_year FROM mbo_enrolment
    UNION
    SELECT DISTINCT school_year - 1 FROM ho_enrolment
),
vo_record AS (
    SELECT r.*
    FROM vo_enrolment r
    JOIN known_years k ON k.cohort_year = r.school_year
    WHERE r.diploma AND r.is_chosen
      AND CASE WHEN $level = 'vmbo' THEN r.education_type = 'vmbo' ELSE r.education_type IN ('havo', 'vwo') END
),
cohort AS (
    SELECT
        r.pupil_number,
        r.school_year,
        r.school_id,
        CASE WHEN r.education_type = 'vmbo' THEN coalesce(r.leerweg, 'onbekend') ELSE r.education_type END AS leerweg,
        CASE WHEN r.gender = 'V' THEN 'V' ELSE 'M' END AS gender,
        profile_class(p.code, p.level, p.technical, p.is_dp, p.contains_nt, p.contains_n) AS profile_class
    FROM vo_record r
    LEFT JOIN ref_profile p
        ON p.code = r.profile_code
       AND CASE WHEN r.education_type = 'vmbo' THEN p.level IN ('vmbo', 'vmbo_tl') ELSE p.level = 'havo_vwo' END
),
-- every enrolment of the next year, ranked by the destination it gives (ho > mbo > vo; technical first at each level):
-- one semi join with the cohort for all three tables, and a pupil's best rank is their destination
next_year AS (
    SELECT h.pupil_number, h.school_year - 1 AS cohort_year,
           CASE WHEN coalesce(s.technical, FALSE) THEN 1 ELSE 2 END AS rank
    FROM ho_enrolment h
    LEFT JOIN ref_ho_sector s ON s.code = h.sector_code
    UNION ALL
    SELECT m.pupil_number, m.school_year - 1, CASE WHEN coalesce(s.technical, FALSE) THEN 3 ELSE 4 END
    FROM mbo_enrolment m
    LEFT JOIN ref_mbo_sector s ON s.code = m.sector_code
    UNION ALL
    SELECT v.pupil_number, v.school_year - 1, 5  -- still in vo (any record of the next year)
    FROM vo_enrolment v
),
found AS (
    SELECT n.pupil_number, n.cohort_year, min(n.rank) AS rank
    FROM next_year n
    SEMI JOIN cohort c ON c.pupil_number = n.pupil_number AND c.school_year = n.cohort_year
    GROUP BY ALL
),
destined AS (
    SELECT
        c.school_year,
        c.school_id,
        c.leerweg,
        c.gender,
        c.profile_class,
        CASE f.rank
            WHEN 1 THEN 'ho_techniek' WHEN 2 THEN 'ho_overig'
            WHEN 3 THEN 'mbo_techniek' WHEN 4 THEN 'mbo_overig'
            WHEN 5 THEN 'vo'
            ELSE 'niet_gevonden'
        END AS destination
    FROM cohort c
    LEFT JOIN found f ON f.pupil_number = c.pupil_number AND f.cohort_year = c.school_year
)
SELECT
    school_year::INTEGER AS school_year, school_id, leerweg, gender, profile_class, destination,
    count(*)::BIGINT AS pupils
FROM destined
GROUP BY ALL
ORDER BY ALL;

-- name: cohort_flow_cells
-- The inner cells of the cohort flow from vmbo leerjaar 2 in $start_year: per school, leerweg and gender group of
-- that start record, pupils by stage-2 state (leerjaar 3 in Y+1: its profile class or 'elders'), stage-3 state
-- (diploma in Y+2: its profile class or 'geen_diploma') and destination in Y+3 (as in destination_cells). The
-- classes ('core' | 'extra' | 'rest') let every setting's flow be a sum of these cells. A stage is '' when the
-- database holds no data for its year (vo for stages 2-3; mbo or ho for stage 4), and stage 4 is '' without a diploma.
WITH start AS (
    SELECT c.pupil_number, c.school_id, coalesce(c.leerweg, 'onbekend') AS leerweg, CASE WHEN c.gender = 'V' THEN 'V' ELSE 'M' END AS gender
    FROM vo_enrolment c
    WHERE c.school_year = $start_year AND c.education_type = 'vmbo' AND c.leerjaar = 2 AND c.is_chosen
),
vo_record AS (
    -- the later records of the start pupils only, one per year
    SELECT v.*
    FROM vo_enrolment v
    WHERE v.school_year BETWEEN $start_year + 1 AND $start_year + 2
      AND v.is_chosen
      AND v.pupil_number IN (SELECT pupil_number FROM start)
),
classified AS (
    SELECT
        r.*,
        profile_class(p.code, p.level, p.technical, p.is_dp, p.contains_nt, p.contains_n) AS profile_class
    FROM vo_record r
    LEFT JOIN ref_profile p ON p.code = r.profile_code AND p.level IN ('vmbo', 'vmbo_tl') AND r.education_type = 'vmbo'
),
has_vo AS (SELECT DISTINCT school_year FROM vo_enrolment WHERE school_year BETWEEN $start_year + 1 AND $start_year + 2),
has_next AS (
    SELECT count(*) > 0 AS known FROM (
        SELECT 1 FROM mbo_enrolment WHERE school_year = $start_year + 3
        UNION ALL
        SELECT 1 FROM ho_enrolment WHERE school_year = $start_year + 3
    )
),
paths AS (
    SELECT
        s.school_id, s.leerweg, s.gender,
        CASE
            WHEN NOT EXISTS (SELECT 1 FROM has_vo WHERE school_year = $start_year + 1) THEN ''
            WHEN y1.education_type = 'vmbo' AND y1.leerjaar = 3
                THEN 'lj3_' || CASE WHEN y1.profile_class IN ('core', 'extra') THEN y1.profile_class ELSE 'rest' END
            ELSE 'lj3_elders'
        END AS stage2,
        CASE
            WHEN NOT EXISTS (SELECT 1 FROM has_vo WHERE school_year = $start_year + 2) THEN ''
            WHEN y2.education_type = 'vmbo' AND y2.diploma
                THEN 'diploma_' || CASE WHEN y2.profile_class IN ('core', 'extra') THEN y2.profile_class ELSE 'rest' END
            ELSE 'geen_diploma'
        END AS stage3,
        y2.education_type = 'vmbo' AND coalesce(y2.diploma, FALSE) AS graduated,
        s.pupil_number
    FROM start s
    LEFT JOIN classified y1 ON y1.pupil_number = s.pupil_number AND y1.school_year = $start_year + 1
    LEFT JOIN classified y2 ON y2.pupil_number = s.pupil_number AND y2.school_year = $start_year + 2
),
ho_next AS (
    SELECT h.pupil_number, bool_or(coalesce(t.technical, FALSE)) AS technical
    FROM ho_enrolment h LEFT JOIN ref_ho_sector t ON t.code = h.sector_code
    WHERE h.school_year = $start_year + 3
    GROUP BY ALL
),
mbo_next AS (
    SELECT m.pupil_number, bool_or(coalesce(t.technical, FALSE)) AS technical
    FROM mbo_enrolment m LEFT JOIN ref_mbo_sector t ON t.code = m.sector_code
    WHERE m.school_year = $start_year + 3
    GROUP BY ALL
),
vo_next AS (SELECT DISTINCT pupil_number FROM vo_enrolment WHERE school_year = $start_year + 3),
staged AS (
    SELECT
        p.school_id, p.leerweg, p.gender, p.stage2, p.stage3,
        CASE
            WHEN p.stage3 = '' OR NOT p.graduated THEN ''
            WHEN NOT (SELECT known FROM has_next) THEN ''
            WHEN h.pupil_number IS NOT NULL THEN CASE WHEN h.technical THEN 'ho_techniek' ELSE 'ho_overig' END
            WHEN m.pupil_number IS NOT NULL THEN CASE WHEN m.technical THEN 'mbo_techniek' ELSE 'mbo_overig' END
            WHEN v.pupil_number IS NOT NULL THEN 'vo'
            ELSE 'niet_gevonden'
        END AS stage4
    FROM paths p
    LEFT JOIN ho_next h ON h.pupil_number = p.pupil_number
    LEFT JOIN mbo_next m ON m.pupil_number = p.pupil_number
    LEFT JOIN vo_next v ON v.pupil_number = p.pupil_number
)
SELECT $start_year::INTEGER AS school_year, school_id, leerweg, gender, stage2, stage3, stage4, count(*)::BIGINT AS pupils
FROM staged
GROUP BY ALL
ORDER BY ALL;

-- name: retention_cells
-- The inner cells of profielbehoud vmbo leerjaar 3 -> 4: pupils whose chosen vo record in Y is vmbo leerjaar 3 with a
-- profile that is technical under some setting, and whose chosen record in Y+1 is vmbo leerjaar 4 with a known profile;
-- per school, leerweg and gender group of the Y record, by profile class in Y (class_from) and in Y+1 (class_to).
-- Only years Y whose Y+1 has vo enrolments.
-- Columns: school_year, school_id, leerweg, gender, class_from ('core' | 'extra'), class_to, pupils.
WITH followed_years AS (
    SELECT DISTINCT school_year - 1 AS cohort_year FROM vo_enrolment
),
start_record AS (
    SELECT
        c.pupil_number, c.school_year, c.school_id, coalesce(c.leerweg, 'onbekend') AS leerweg, CASE WHEN c.gender = 'V' THEN 'V' ELSE 'M' END AS gender,
        profile_class(p.code, p.level, p.technical, p.is_dp, p.contains_nt, p.contains_n) AS class_from
    FROM vo_enrolment c
    JOIN followed_years f ON f.cohort_year = c.school_year
    LEFT JOIN ref_profile p ON p.code = c.profile_code AND p.level IN ('vmbo', 'vmbo_tl')
    WHERE c.education_type = 'vmbo' AND c.leerjaar = 3 AND c.is_chosen
),
next_record AS (
    SELECT
        n.pupil_number, n.school_year - 1 AS cohort_year,
        profile_class(p.code, p.level, p.technical, p.is_dp, p.contains_nt, p.contains_n) AS class_to
    FROM vo_enrolment n
    LEFT JOIN ref_profile p ON p.code = n.profile_code AND p.level IN ('vmbo', 'vmbo_tl')
    WHERE n.education_type = 'vmbo' AND n.leerjaar = 4 AND n.is_chosen
),
followed AS (
    SELECT s.school_year, s.school_id, s.leerweg, s.gender, s.class_from, x.class_to
    FROM start_record s
    JOIN next_record x ON x.pupil_number = s.pupil_number AND x.cohort_year = s.school_year
    WHERE s.class_from IN ('core', 'extra') AND x.class_to <> 'unknown'
)
SELECT school_year::INTEGER AS school_year, school_id, leerweg, gender, class_from, class_to, count(*)::BIGINT AS pupils
FROM followed
GROUP BY ALL
ORDER BY ALL;
