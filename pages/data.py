"""Data: load the schools' exports, see what was loaded and its data quality, remove a load."""

import streamlit as st

import app_support as app
from sto_metrics import audit, schoolyear
from sto_metrics.errors import UserError
from sto_metrics.loading import activities as loading_activities
from sto_metrics.loading import loader
from sto_metrics.national import presentation as national_view
from sto_metrics.presentation import display_tables

app.require_manager()
ctx = app.context()
st.title("Data")
if ctx.source.is_demo:
    st.caption("Het dashboard werkt nu met de demodatabase. Wat je hier laadt, komt bij de demodata; met 'Demodata herstellen' "
               "begin je opnieuw. Voor de eigen regio: start het dashboard met STO_DB=pad/naar/regio.duckdb.")
else:
    st.caption("Database van de regio:")
    st.text(ctx.source.path)

RESULTS_KEY = "data_results"
UPLOADER_ROUND = "data_upload_round"
REMOVED_KEY = "data_removed"
REMOVED_NOTES_KEY = "data_removed_notes"  # replaced data that was not kept: what to load again

removed = st.session_state.pop(REMOVED_KEY, None)
if removed is not None:
    st.success(f"Lading {removed} is verwijderd.", icon=":material/delete:")
for note in st.session_state.pop(REMOVED_NOTES_KEY, []):
    st.warning(app.md_escape(note), icon=":material/warning:")  # quotes file names: never Markdown

# --------------------------------------------------------------------------- upload
st.subheader("Exports laden", anchor=False)
st.caption("Leerlingexports van vo-scholen, mbo en ho (csv of xlsx), en het activiteitenregister en de deelnemerslijsten van de "
           "regio (ze worden aan hun kolommen herkend). Namen, geboortedata, adressen en BSN worden niet opgeslagen; "
           "leerlingnummers worden vervangen door een versleutelde code. Een bestand met fouten wordt helemaal niet geladen. "
           "Ook DUO's openbare bestanden (leerlingen per vestiging, examenkandidaten, instroom mbo, crebo en sectorkamer) worden "
           "herkend, voor de vergelijking met het land; een nieuwer DUO-bestand van hetzelfde schooljaar vervangt het oudere.")
upload_round = st.session_state.get(UPLOADER_ROUND, 0)
files = st.file_uploader("Exportbestanden", type=["csv", "txt", "tsv", "xlsx"], accept_multiple_files=True,
                         key=f"data_upload_{upload_round}")
kinds = {"": "herken automatisch", "vo": "vo (voortgezet onderwijs)", "mbo": "mbo", "ho": "ho (hbo en wo)"}
kind = st.selectbox("Soort bestand", options=list(kinds), format_func=kinds.get, key="data_kind")
replace = st.checkbox("Vervang eerdere gegevens van dezelfde school en hetzelfde schooljaar", key="data_replace")
duo_year = st.text_input("Schooljaar van DUO-bestanden (alleen als de bestandsnaam het niet zegt)", key="data_duo_year",
                         placeholder="bijvoorbeeld 2024-2025")
if st.button("Laden", type="primary", disabled=not files, key="data_load", icon=":material/upload:"):
    results = []
    with app.writing() as cur:  # the database itself, briefly; the pages read this process's copy
        for uploaded in files or []:
            try:
                results.append(loader.load_upload(cur, uploaded.name, uploaded.getvalue(), kind=kind or None, replace=replace,
                                                  school_year=schoolyear.parse(duo_year) if duo_year else None))
            except UserError as error:
                results.append(loader.FileResult(file_name=uploaded.name, status="geweigerd", messages=[str(error)]))
        audit.record_loads(cur, app.who(), results, replace=replace)
    st.session_state[RESULTS_KEY] = results
    st.session_state[UPLOADER_ROUND] = upload_round + 1  # a fresh, empty uploader
    st.rerun()  # the sidebar and every page pick up the new data version

results = st.session_state.get(RESULTS_KEY) or []
if results:
    with st.container(border=True, key="data_results_box"):
        st.markdown("**Resultaat van de laatste keer laden**")
        loaded = sum(result.status == "geladen" for result in results)
        (st.success if loaded == len(results) else st.warning)(f"{loaded} van de {len(results)} bestanden geladen.")
        st.dataframe(display_tables.load_results_display(results), hide_index=True, key="data_results_table")
        quality = display_tables.problems_display([result.problems for result in results], loader.PROBLEM_LABELS)
        if not quality.empty:
            st.markdown("**Datakwaliteit van deze bestanden**")
            st.dataframe(quality, hide_index=True, key="data_results_quality")
        for result in results:
            for message in result.messages:
                # Messages can quote file and school names: plain text, never Markdown.
                st.text(f"{result.file_name}: {message}" if not message.startswith(result.file_name) else message)

# --------------------------------------------------------------------------- what is loaded
st.subheader("Geladen bestanden", anchor=False)
with app.cursor() as cur:
    loads = loader.list_loads(cur)
if loads.empty:
    st.info("Nog niets geladen.", icon=":material/info:")
else:
    display = display_tables.loads_display(loads, loader.PROBLEM_LABELS)
    st.dataframe(display, hide_index=True, key="data_loads_table")
    st.download_button("Overzicht downloaden (csv)", data=lambda: app.csv_bytes(display), file_name="geladen_bestanden.csv", mime="text/csv",
                       key="data_loads_csv", on_click="ignore", icon=":material/download:")
    st.markdown("**Datakwaliteit van alles wat geladen is**")
    with app.cursor() as cur:  # participants are looked up in the vo data as it is now, whatever was loaded first
        not_found = loading_activities.not_found_problems(cur)
    quality = display_tables.problems_display(display_tables.parse_problems(loads["problems"]) + not_found, loader.PROBLEM_LABELS)
    if quality.empty:
        st.caption("Geen problemen gemeld.")
    else:
        st.dataframe(quality, hide_index=True, key="data_quality_table")

    with st.expander("Een lading verwijderen"):
        names = dict(zip(loads["load_id"], loads["file_name"], strict=True))
        load_id = st.selectbox("Lading", options=list(loads["load_id"]), format_func=lambda i: f"{i} – {names[i]}", key="data_remove_id")
        sure = st.checkbox("Ja, verwijder deze lading en alle leerlingregels die ermee kwamen", key="data_remove_sure")
        if st.button("Verwijderen", disabled=not sure, key="data_remove", icon=":material/delete:"):
            with app.writing() as cur:
                st.session_state[REMOVED_NOTES_KEY] = loader.remove_load(cur, int(load_id))
                audit.record(cur, app.who(), audit.REMOVED, names[load_id], f"lading {int(load_id)}")
            st.session_state[RESULTS_KEY] = []
            st.session_state[REMOVED_KEY] = int(load_id)
            st.session_state.pop("data_remove_sure", None)
            st.rerun()

# --------------------------------------------------------------------------- audit log (beheerders only: this page is theirs)
st.subheader("Logboek", anchor=False)
st.caption("Wie wat geladen, vervangen of verwijderd heeft, de ambities heeft gewijzigd of de demo heeft hersteld, en wanneer "
           "(ook ladingen vanaf de opdrachtregel). De nieuwste bovenaan.")
with app.cursor() as cur:
    log = audit.recent(cur)
if log.empty:
    st.caption("Nog niets vastgelegd.")
else:
    st.dataframe(log, hide_index=True, key="data_audit_table")

# --------------------------------------------------------------------------- exports against DUO's public counts
if (loads["kind"] == "duo_leerlingen").any() if not loads.empty else False:
    st.subheader("DUO tegenover de exports", anchor=False)
    st.caption("Per school en schooljaar: het aantal vmbo-leerlingen in leerjaar 3 in de export tegenover DUO's telling voor die vestiging "
               "(openbare gegevens, peildatum 1 oktober). Een school staat hier als het verschil meer dan 5 leerlingen of meer dan 5% is: "
               "een ontbrekende of dubbele export valt zo op. DUO telt inschrijvingen; '<5' telt als 1 tot 4.")
    flagged = app.export_check(ctx.source.path, ctx.version_of(*app.NATIONAL_READS))
    if flagged.empty:
        st.success("Alle scholen komen overeen met DUO (binnen 5 leerlingen of 5%).", icon=":material/check:")
    else:
        st.dataframe(national_view.check_display(flagged, dict(zip(ctx.schools["school_id"], ctx.schools["name"], strict=True))),
                     hide_index=True, key="data_duo_check")

if ctx.source.is_demo:
    st.subheader("Demodata herstellen", anchor=False)
    st.caption("Zet de demodatabase terug zoals die met het dashboard meekomt: wat je zelf geladen of verwijderd hebt, verdwijnt.")
    if st.button("Demodata herstellen", key="data_reset_demo", icon=":material/restart_alt:"):
        app.reset_demo_database()
        st.session_state[RESULTS_KEY] = []
        st.rerun()
