"""Sterk Techniekonderwijs metrics engine: loading, metrics, privacy, reports.

The engine never imports streamlit; the dashboard and the command line are thin
faces over it.
"""

__version__ = "0.1.0"
