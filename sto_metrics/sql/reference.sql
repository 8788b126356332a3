-- name: stage_reference_files
-- Read the region's reference CSVs into temp tables ref_*_src, every column as text (so that codes
-- like "NT/NG" stay as written) except the yes/no flags, which become booleans.
CREATE OR REPLACE TEMP TABLE ref_profile_src AS
    SELECT * REPLACE (
        CAST(lower(trim(technical)) IN ('true', 'ja', '1', 'j', 'yes') AS BOOLEAN) AS technical,
        CAST(lower(trim(is_dp)) IN ('true', 'ja', '1', 'j', 'yes') AS BOOLEAN) AS is_dp,
        CAST(lower(trim(contains_nt)) IN ('true', 'ja', '1', 'j', 'yes') AS BOOLEAN) AS contains_nt,
        CAST(lower(trim(contains_n)) IN ('true', 'ja', '1', 'j', 'yes') AS BOOLEAN) AS contains_n)
    FROM read_csv($profiles, header=true, all_varchar=true, delim=',', quote='"');
CREATE OR REPLACE TEMP TABLE ref_mbo_sector_src AS
    SELECT * REPLACE (CAST(lower(trim(technical)) IN ('true', 'ja', '1', 'j', 'yes') AS BOOLEAN) AS technical)
    FROM read_csv($mbo_sectors, header=true, all_varchar=true, delim=',', quote='"');
CREATE OR REPLACE TEMP TABLE ref_ho_sector_src AS
    SELECT * REPLACE (CAST(lower(trim(technical)) IN ('true', 'ja', '1', 'j', 'yes') AS BOOLEAN) AS technical)
    FROM read_csv($ho_sectors, header=true, all_varchar=true, delim=',', quote='"');
CREATE OR REPLACE TEMP TABLE ref_school_src AS
    SELECT * FROM read_csv($schools, header=true, all_varchar=true, delim=',', quote='"');
CREATE OR REPLACE TEMP TABLE ref_value_alias_src AS
    SELECT * FROM read_csv($value_aliases, header=true, all_varchar=true, delim=',', quote='"');
CREATE OR REPLACE TEMP TABLE ref_column_alias_src AS
    SELECT * FROM read_csv($column_aliases, header=true, all_varchar=true, delim=',', quote='"');
CREATE OR REPLACE TEMP TABLE ref_programme_sector_src AS
    SELECT * FROM read_csv($programme_sectors, header=true, all_varchar=true, delim=',', quote='"');
CREATE OR REPLACE TEMP TABLE ref_landsdeel_src AS
    SELECT * FROM read_csv($landsdelen, header=true, all_varchar=true, delim=',', quote='"');
CREATE OR REPLACE TEMP TABLE ref_duo_column_src AS
    SELECT * FROM read_csv($duo_columns, header=true, all_varchar=true, delim=',', quote='"');
CREATE OR REPLACE TEMP TABLE ref_activity_type_src AS
    SELECT * FROM read_csv($activity_types, header=true, all_varchar=true, delim=',', quote='"');

-- name: column_alias_rows
-- The staged column aliases in file order (the first alias of a header wins).
SELECT kind, field, aliases FROM ref_column_alias_src;

-- name: duo_column_alias_rows
-- The staged DUO header aliases in file order: file kind, field and its '|'-separated aliases.
SELECT kind, field, aliases FROM ref_duo_column_src;
