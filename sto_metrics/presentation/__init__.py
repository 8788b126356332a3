"""Presentation helpers: Dutch formatting, display tables, charts and tabular output (no Streamlit)."""
