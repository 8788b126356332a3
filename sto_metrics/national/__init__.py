"""National comparison from DUO's public open data (docs/metrics.md, docs/command-line.md)."""
