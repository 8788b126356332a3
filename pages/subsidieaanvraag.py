"""Subsidieaanvraag: the nulmeting, trends, ambitions and methods as Excel, Word and HTML files for a grant application."""

import dataclasses

import streamlit as st

import app_support as app
from sto_metrics.errors import UserError
from sto_metrics.presentation import formatting as fmt
from sto_metrics.report import pack
from sto_metrics.settings import MetricSettings

REGION = ""


@st.cache_data(max_entries=16, ttl=app.CACHE_TTL_SECONDS, show_spinner="Rapport wordt samengesteld…")
def _content(path: str, version: str, school_id: str | None, baseline_year: int, latest_year: int, settings_key: tuple) -> pack.Report:
    """The display-safe report content (gathered once, rendered in each format on download)."""
    with app.cursor(path) as cur:
        return pack.report_content(cur, school_id, baseline_year, latest_year, MetricSettings(*settings_key))


@st.cache_data(max_entries=32, ttl=app.CACHE_TTL_SECONDS, show_spinner=False)
def _file(path: str, version: str, school_id: str | None, baseline_year: int, latest_year: int, settings_key: tuple, file_format: str) -> bytes:
    content = _content(path, version, school_id, baseline_year, latest_year, settings_key)
    return pack.render(content, file_format)


ctx = app.context()
st.title("Subsidieaanvraag")
st.caption("Nulmeting en ontwikkeling van instroom en doorstroom techniek, de ambities en een methodeparagraaf, "
           "als Excel-, Word- en HTML-bestand om over te nemen in een aanvraag (Techkwadraat) of jaarverslag. "
           "De definities volgen de instellingen in de zijbalk; leerweg-, geslacht- en schoolfilters gelden hier niet.")

if not app.no_data_notice(ctx):
    names = dict(zip(ctx.schools["school_id"], ctx.schools["name"], strict=True))
    scope = st.selectbox("Voor", options=[REGION, *names], key="subsidie_scope",
                         format_func=lambda s: "De hele regio" if s == REGION else f"{names.get(s, s)} ({s})")
    years = list(ctx.school_years)
    default_baseline = app.FIRST_STO_YEAR if app.FIRST_STO_YEAR in years else years[0]
    left, right = st.columns(2)
    baseline_year = left.selectbox("Nulmeting (schooljaar)", options=years, index=years.index(default_baseline),
                                   format_func=fmt.school_year, key="subsidie_baseline")
    latest_year = right.selectbox("Laatste schooljaar", options=years, index=len(years) - 1, format_func=fmt.school_year,
                                  key="subsidie_latest")
    school_id = scope or None
    if baseline_year > latest_year:
        st.warning("Het jaar van de nulmeting ligt na het laatste schooljaar; kies een eerder jaar.", icon=":material/warning:")
    else:
        key = (ctx.source.path, ctx.version, school_id, int(baseline_year), int(latest_year), dataclasses.astuple(ctx.filters.settings))
        try:
            content = _content(*key)
        except UserError as error:
            app.user_error(error)
        else:
            columns = st.columns(3)
            labels = {"xlsx": ("Excel (.xlsx)", ":material/table_view:"), "docx": ("Word (.docx)", ":material/description:"),
                      "html": ("Webpagina / pdf (.html)", ":material/print:")}
            for column, file_format in zip(columns, ("xlsx", "docx", "html"), strict=True):
                label, icon = labels[file_format]
                column.download_button(
                    label, data=lambda file_format=file_format: _file(*key, file_format),
                    file_name=pack.file_name(file_format, school_id, int(baseline_year), int(latest_year)),
                    mime=pack.MIME_TYPES[file_format], key=f"subsidie_download_{file_format}", on_click="ignore", icon=icon,
                    width="stretch")
            st.caption("Het HTML-bestand opent in elke browser en drukt netjes af als pdf (Afdrukken → Opslaan als pdf).")
            st.subheader("Zinnen om over te nemen")
            st.caption("Elke zin staat ook in het rapport, naast de tabel waar hij op steunt.")
            for sentence in dict.fromkeys(content.sentences()):
                st.markdown(f"- {app.md_escape(sentence)}")
            st.caption(app.md_escape(fmt.suppression_note(app.RULES.min_count, app.RULES.min_share_denominator)))
