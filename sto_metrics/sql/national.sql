-- name: national_vmbo_cells
-- vmbo technical inflow from DUO file 1: enrolments in leerjaar 3 with a known profile, per school year and
-- vestiging, as bounds (technical under the settings: ref_profile.technical, plus D&P when $dp_technical).
SELECT d.school_year, d.school_id, any_value(d.province) AS province,
       sum(d.count_min) AS pupils_min, sum(d.count_max) AS pupils_max,
       coalesce(sum(d.count_min) FILTER (WHERE p.technical OR ($dp_technical AND p.is_dp)), 0) AS technical_min,
       coalesce(sum(d.count_max) FILTER (WHERE p.technical OR ($dp_technical AND p.is_dp)), 0) AS technical_max
FROM duo_vo_pupils d JOIN ref_profile p ON p.code = d.profile_code
WHERE d.education_type = 'vmbo' AND d.leerjaar = 3
GROUP BY d.school_year, d.school_id;

-- name: national_havo_vwo_cells
-- havo/vwo N&T (or any N with $havo_vwo_any_n) from DUO file 2: exam candidates with a known profile, per school
-- year and vestiging, as bounds; the province comes from the vestiging's latest row in file 1.
WITH province_of AS (
    SELECT school_id, arg_max(province, school_year) AS province FROM duo_vo_pupils GROUP BY school_id
)
SELECT e.school_year, e.school_id, any_value(po.province) AS province,
       sum(e.candidates_min) AS pupils_min, sum(e.candidates_max) AS pupils_max,
       coalesce(sum(e.candidates_min) FILTER (WHERE p.contains_nt OR ($havo_vwo_any_n AND p.contains_n)), 0) AS technical_min,
       coalesce(sum(e.candidates_max) FILTER (WHERE p.contains_nt OR ($havo_vwo_any_n AND p.contains_n)), 0) AS technical_max
FROM duo_exam_candidates e
JOIN ref_profile p ON p.code = e.profile_code
LEFT JOIN province_of po ON po.school_id = e.school_id
WHERE e.education_type IN ('havo', 'vwo')
GROUP BY e.school_year, e.school_id;

-- name: national_vmbo_mbo_cells
-- vmbo -> technical mbo from DUO file 3: entrants new to mbo whose prior education is vmbo, per school year
-- (of entry), as bounds. The sector: DUO's crebo -> sectorkamer table through the region's mbo sector
-- aliases, else the region's own crebo mapping; no province (entrants are counted per mbo institution).
WITH sectorkamer AS (
    SELECT crebo, mode(sectorkamer) AS sectorkamer FROM duo_crebo_sector GROUP BY crebo
), entrants AS (
    SELECT e.school_year, e.entrants_min, e.entrants_max,
           coalesce(s.technical, false) AS is_technical
    FROM duo_mbo_entrants e
    LEFT JOIN sectorkamer k ON k.crebo = e.crebo
    LEFT JOIN ref_alias a ON a.domain = 'mbo_sector' AND a.alias = norm_text(k.sectorkamer)
    LEFT JOIN ref_programme_sector rp ON rp.kind = 'mbo' AND ltrim(rp.programme_code, '0') = e.crebo
    LEFT JOIN ref_mbo_sector s ON s.code = coalesce(a.value, rp.sector_code)
    WHERE norm_text(e.prior_vo) LIKE 'vmbo%'
)
SELECT school_year, NULL::VARCHAR AS school_id, NULL::VARCHAR AS province,
       sum(entrants_min) AS pupils_min, sum(entrants_max) AS pupils_max,
       coalesce(sum(entrants_min) FILTER (WHERE is_technical), 0) AS technical_min,
       coalesce(sum(entrants_max) FILTER (WHERE is_technical), 0) AS technical_max
FROM entrants
GROUP BY school_year;

-- name: national_landsdelen
-- Province (as normalised) -> Techniekpact landsdeel, from data/reference/landsdelen.csv.
SELECT province, landsdeel FROM ref_landsdeel;

-- name: national_own_schools
-- The region's own vestigingen: every school in its vo exports.
SELECT DISTINCT school_id FROM vo_enrolment;

-- name: national_peildata
-- Which DUO files are loaded: kind, file name, the school years they cover and when they were loaded.
SELECT l.kind, l.file_name, min(s.school_year) AS first_year, max(s.school_year) AS last_year, l.loaded_at
FROM load_log l LEFT JOIN load_scope s USING (load_id)
WHERE l.kind LIKE 'duo_%' AND l.replaced_by IS NULL
GROUP BY ALL ORDER BY l.kind, first_year;

-- name: national_export_vs_duo
-- Per school and school year: pupils in leerjaar 3 of the vmbo in the region's exports beside DUO's enrolments
-- in vmbo leerjaar 3 for that vestiging (bounds), for the data check; only years DUO file 1 covers.
WITH export AS (
    SELECT school_year, school_id, count(*) AS export_pupils
    FROM vo_enrolment WHERE education_type = 'vmbo' AND leerjaar = 3
    GROUP BY ALL
), duo AS (
    SELECT school_year, school_id, sum(count_min) AS duo_min, sum(count_max) AS duo_max
    FROM duo_vo_pupils WHERE education_type = 'vmbo' AND leerjaar = 3
    GROUP BY ALL
), own AS (
    SELECT DISTINCT school_id FROM vo_enrolment
)
SELECT coalesce(x.school_year, d.school_year) AS school_year, coalesce(x.school_id, d.school_id) AS school_id,
       coalesce(x.export_pupils, 0) AS export_pupils, coalesce(d.duo_min, 0) AS duo_min, coalesce(d.duo_max, 0) AS duo_max
FROM export x FULL JOIN duo d ON d.school_year = x.school_year AND d.school_id = x.school_id
WHERE coalesce(x.school_id, d.school_id) IN (SELECT school_id FROM own)
  AND coalesce(x.school_year, d.school_year) IN (SELECT DISTINCT school_year FROM duo_vo_pupils)
ORDER BY 1, 2;

-- name: national_region_province
-- The province (and its landsdeel) holding most of DUO's leerjaar-3 enrolments at the region's own vestigingen.
SELECT d.province, any_value(l.landsdeel) AS landsdeel
FROM duo_vo_pupils d LEFT JOIN ref_landsdeel l ON l.province = norm_text(d.province)
WHERE d.school_id IN (SELECT DISTINCT school_id FROM vo_enrolment) AND d.province IS NOT NULL
GROUP BY d.province ORDER BY sum(d.count_max) DESC, d.province LIMIT 1;

-- name: national_duo_tables_present
-- Whether the database has the DUO tables (a database made before the comparison existed, opened read-only, has not).
SELECT count(*) = 4 FROM duckdb_tables()
WHERE NOT temporary AND table_name IN ('duo_vo_pupils', 'duo_exam_candidates', 'duo_mbo_entrants', 'duo_crebo_sector');
