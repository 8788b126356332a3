"""Sterk Techniekonderwijs dashboard: the router. Run with `streamlit run dashboard.py`.

Opens the region's database from STO_DB, else the bundled demo region. The shared sidebar
(filters and definition settings, kept in the URL) is drawn here, then the chosen page runs.
"""

import time

import streamlit as st

import app_support as app
from sto_metrics.errors import UserError

st.set_page_config(
    page_title="Sterk Techniekonderwijs – instroom en doorstroom",
    layout="wide",
    menu_items={"Get help": None, "Report a bug": None, "About": "Sterk Techniekonderwijs: instroom en doorstroom techniek."},
)

# Pages are listed explicitly (no auto-discovery). No page icons: Streamlit turns the current
# page's icon into the favicon and fetches Material icons for that from fonts.gstatic.com.
PAGES = {
    "Cijfers": [
        st.Page("pages/overzicht.py", title="Overzicht", default=True),
        st.Page("pages/instroom.py", title="Instroom", url_path="instroom"),
        st.Page("pages/doorstroom.py", title="Doorstroom", url_path="doorstroom"),
        st.Page("pages/mijn_school.py", title="Mijn school", url_path="mijn-school"),
        st.Page("pages/ambities.py", title="Ambities", url_path="ambities"),
        st.Page("pages/activiteiten.py", title="Activiteiten", url_path="activiteiten"),
    ],
    "Rapportage": [
        st.Page("pages/subsidieaanvraag.py", title="Subsidieaanvraag", url_path="subsidieaanvraag"),
    ],
    "Beheer": [
        st.Page("pages/data.py", title="Data", url_path="data"),
    ],
}

started, started_cpu = time.perf_counter(), time.thread_time()
role = app.gate()  # sign-in and roles: stops here for anyone without a role
if not role.manages:
    PAGES.pop("Beheer")
page = st.navigation(PAGES)
try:
    ctx = app.sidebar()
    if ctx.source.is_demo:
        st.info(
            "**Demodata.** Je kijkt naar een verzonnen regio met fictieve scholen en leerlingen. "
            "Laad de exports van je eigen regio op de pagina Data, of start het dashboard met STO_DB=pad/naar/regio.duckdb.",
            icon=":material/science:",
        )
    page.run()
except UserError as error:
    app.user_error(error)
except Exception as error:  # never Streamlit's traceback in front of a user: it can quote a pupil's row
    app.page_failed(page.title, error)
app.record_run_time(page.title, time.perf_counter() - started, time.thread_time() - started_cpu)
