"""Builders for loader tests: a small clean vo export and a checksum of every table."""

from __future__ import annotations

import duckdb

SECRET = "test-geheim"  # the pseudonymisation secret of the loader tests (fixture `pupil_key_secret`)

VO_HEADER = ["leerlingnummer", "schooljaar", "brinvestiging", "schoolnaam", "onderwijstype", "leerjaar", "profiel", "geslacht", "diploma"]

# Twelve pupils of one school and year: known facts that tests can count by hand.
VO_ROWS = [
    ["100001", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-BB", "3", "BWI", "M", ""],
    ["100002", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-BB", "3", "PIE", "V", ""],
    ["100003", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-KB", "3", "Z&W", "V", ""],
    ["100004", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-KB", "3", "E&O", "M", ""],
    ["100005", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-TL", "3", "Techniek", "M", ""],
    ["100006", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-TL", "4", "Economie", "V", "ja"],
    ["100007", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-BB", "4", "MVI", "M", "nee"],
    ["100008", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-GL", "4", "D&P", "V", "ja"],
    ["100009", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-BB", "2", "", "M", ""],
    ["100010", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VMBO-KB", "1", "", "V", ""],
    ["100011", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "HAVO", "4", "NT/NG", "V", ""],
    ["100012", "2023-2024", "31XA00", "Vmbo 't Zaanhuis", "VWO", "6", "EM", "M", "ja"],
]

MBO_HEADER = ["studentnummer", "schooljaar", "instelling", "crebo", "opleiding", "niveau", "leerweg", "sector"]
MBO_ROWS = [
    ["100007", "2024-2025", "25MA", "90001", "Monteur", "2", "BOL", "Techniek en gebouwde omgeving"],
    ["100008", "2024-2025", "25MA", "90002", "Verkoper", "3", "BBL", "Economie"],
]


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ";", line_end: str = "\n") -> str:
    """A plain export; cells with the delimiter or quotes are quoted as Excel does."""

    def cell(value: str) -> str:
        if delimiter in value or '"' in value or "\n" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(cell(v) for v in row) + line_end for row in [header, *rows])


def table_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Row count and an order-independent hash of every stored table."""
    tables = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1").fetchall()]
    return {name: con.execute(f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{name}" t').fetchall()[0] for name in tables}


def stored_rows(con: duckdb.DuckDBPyConnection, table: str = "vo_enrolment") -> list[tuple]:
    """Every stored row without its load id, sorted, for comparing two loads."""
    return con.execute(f"SELECT * EXCLUDE (load_id) FROM {table} ORDER BY ALL").fetchall()


def all_text_in_database(con: duckdb.DuckDBPyConnection) -> str:
    """Every text value stored anywhere, joined, to prove something is NOT stored."""
    parts = []
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall():
        df = con.execute(f'SELECT * FROM "{name}"').df()
        parts.append(df.astype(str).to_csv(index=False))
    return "\n".join(parts)
