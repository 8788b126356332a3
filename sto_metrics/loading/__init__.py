"""Loading: reading exports, normalising and pseudonymising them into DuckDB."""
