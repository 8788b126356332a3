"""Activiteiten: whom the region's activities reached, and whether participants chose technology more often."""

import pandas as pd
import streamlit as st

import app_support as app
from sto_metrics import audit
from sto_metrics.loading import activities as loading_activities
from sto_metrics.metrics import activities, registry
from sto_metrics.presentation import activities as shown
from sto_metrics.presentation import charts
from sto_metrics.settings import PopulationFilter

SAVED_KEY = "activiteiten_saved"

ctx = app.context()
st.title("Activiteiten")
st.caption("Wie de activiteiten van de regio bereikten (techniekweken, Techcarrousel, meeloopdagen ...) en of leerlingen die "
           "meededen vaker voor techniek kozen. Het activiteitenregister en de deelnemerslijsten laad je op de pagina Data; "
           "een activiteit toevoegen kan hieronder.")

REACH, GIRLS_AND_PUPILS, EFFECT, BEFORE_AFTER = ("Bereik per school en jaar", "Meisjes en leerlingen bereikt",
                                                 "Kiezen deelnemers vaker voor techniek?", "Voor en na de start van een activiteit")


def reach_section(reach: pd.DataFrame, labels: dict) -> None:
    if reach.empty:
        st.info("Er is nog geen activiteitenregister geladen. Laad het op de pagina **Data**.", icon=":material/info:")
        return
    kind_labels = shown.activity_type_labels(labels, reach["activity_type"])
    at_schools = [k for k in kind_labels if (reach.loc[reach["activity_type"] == k, "scope"] != "regio").any()] or list(kind_labels)

    @app.fragment
    def reach_of_kind() -> None:  # the kind of activity redraws only the heat map
        kind = st.segmented_control("Soort activiteit", options=at_schools, format_func=kind_labels.get, default=at_schools[0],
                                    key="activiteiten_soort", persist_state="page") or at_schools[0]
        of_kind = reach[reach["activity_type"] == kind]
        app.figure_panel(
            "activiteiten_bereik", f"Bereik: {kind_labels[kind]}", app.figure(shown.reach_heatmap, of_kind),
            shown.reach_display(of_kind, kind_labels), definition=ctx.definition("reach"), notes=[shown.CAPPED_NOTE],
            file_stem=f"bereik_{kind}",
        )

    reach_of_kind()
    every = st.expander("Alle activiteiten (tabel)", key="activiteiten_alle_open", on_change="rerun")
    if every.open:  # a table grid is heavy in the browser: drawn only when asked for
        with every:
            st.dataframe(shown.reach_display(reach, kind_labels), hide_index=True, key="activiteiten_alle")


def girls_and_pupils_section(reach: pd.DataFrame, labels: dict) -> None:
    kind_labels = shown.activity_type_labels(labels, reach["activity_type"])
    girls = shown.girls_input(reach, kind_labels)
    app.figure_panel(
        "activiteiten_meisjes", "Meisjes bereikt", app.figure(shown.girls_figure, girls), shown.girls_display(girls),
        definition=ctx.definition("reach"), notes=["Opgeteld over de regels waarvan de aantallen getoond worden (geen <5)."],
        file_stem="meisjes_bereikt",
    )
    reached = ctx.table("reach_pupils", by="school", population=PopulationFilter(school_ids=ctx.filters.school_ids))
    if not reached.empty:
        app.figure_panel(
            "activiteiten_leerlingen", "Bereikte leerlingen (deelnemerslijsten)", shown.reached_figure(reached),
            shown.reached_display(reached), definition=ctx.definition("reach_pupils"),
            notes=["Alleen waar scholen deelnemerslijsten bijhouden; wie aan meer activiteiten meedeed, telt één keer."],
            file_stem="bereikte_leerlingen",
        )


@app.fragment
def effect_section() -> None:  # the comparison's controls redraw only this section
    st.info(activities.CAVEAT_NL, icon=":material/info:")
    by = st.segmented_control("Vergelijking", options=["school", "regio"], default="school", key="activiteiten_vergelijking", persist_state="page",
                              format_func={"school": "binnen de school", "regio": "hele regio"}.get) or "school"
    # Leerweg and gender do not apply: the groups would become too small to protect.
    effect = ctx.table("activity_effect", by=by, population=PopulationFilter(school_ids=ctx.filters.school_ids))
    if ctx.filters.leerwegen or ctx.filters.genders:
        st.caption("Leerweg en geslacht in de zijbalk gelden niet voor deze vergelijking: de groepen worden dan te klein om af te schermen.")
    if effect.empty:
        st.info("Er zijn nog geen deelnemerslijsten van een eerder schooljaar: de vergelijking verschijnt zodra die er zijn.",
                icon=":material/info:")
        return
    if by == "school":
        compared = [s for s in dict.fromkeys(effect["scope"]) if effect.loc[effect["scope"] == s, "share"].notna().any()]
        compared = compared or list(dict.fromkeys(effect["scope"]))
        school_id = st.selectbox("School", options=compared, format_func=lambda s: f"{ctx.school_name(s)} ({s})",
                                 key="activiteiten_school", persist_state="page")
        effect = effect[effect["scope"] == school_id]
    difference = activities.group_difference(effect)
    sentence = shown.difference_sentence(difference)
    if sentence:
        st.markdown(app.md_escape(sentence))
    app.figure_panel(
        "activiteiten_effect", "Aandeel technisch profiel in leerjaar 3: deelnemers en niet-deelnemers",
        app.figure(charts.trend_figure, shown.effect_chart_input(effect), region_names=()), shown.effect_display(effect, difference),
        definition=ctx.definition("activity_effect"), notes=[activities.CAVEAT_NL], file_stem=f"keuze_na_deelname_{by}",
    )
    # From the comparison's published group counts only: no pupil count is shown here that the comparison does not show.
    participation = activities.cohort_participation(effect, app.RULES.min_share_denominator)
    participated = shown.participation_sentence(participation)
    if participated:
        st.markdown(app.md_escape(participated))
    app.figure_panel(
        "activiteiten_deelname", "Aandeel van leerjaar 3 dat eerder aan een activiteit meedeed",
        app.figure(charts.trend_figure, shown.participation_chart_input(participation), region_names=()),
        shown.participation_display(participation), definition=ctx.definition("activity_effect"),
        notes=[shown.PARTICIPATION_NOTE], file_stem=f"deelname_voor_leerjaar3_{by}",
    )


def before_after_section(reach: pd.DataFrame) -> None:
    inflow = registry.get("inflow_vmbo")
    frame = shown.before_after_input(ctx.table(inflow.name, by="school"), shown.start_years(reach))
    app.figure_panel(
        "activiteiten_voor_na", "Instroom techniek per school, voor en na de eerste activiteit",
        app.figure(shown.before_after_figure, frame), shown.before_after_display(frame), definition=ctx.definition(inflow.name),
        notes=["Een ster markeert het jaar waarin de school met een activiteit begon; grijze stippellijnen zijn scholen zonder "
               "activiteit op school. Dit laat een samenhang in de tijd zien, geen bewijs dat de activiteit het verschil maakte."],
        file_stem="instroom_voor_na",
    )


if not app.no_data_notice(ctx):
    with app.cursor() as cur:
        labels = activities.activity_type_names(cur)
    # Head counts have no leerweg or gender: only the school choice applies to reach.
    reach = ctx.table("reach", by="school", population=PopulationFilter(school_ids=ctx.filters.school_ids))
    # One section at a time: each is a tab, drawn only when open.
    titles = [REACH, *([] if reach.empty else [GIRLS_AND_PUPILS]), EFFECT, *([] if reach.empty else [BEFORE_AFTER])]
    section, tab = app.open_section("activiteiten_sectie", titles)
    with tab:
        if section in (REACH, GIRLS_AND_PUPILS) and (ctx.filters.leerwegen or ctx.filters.genders):
            st.caption("Leerweg en geslacht in de zijbalk gelden niet voor het bereik (deelnemers zijn per klas of groep geteld).")
        if section == REACH:
            reach_section(reach, labels)
        elif section == GIRLS_AND_PUPILS:
            girls_and_pupils_section(reach, labels)
        elif section == EFFECT:
            effect_section()
        else:
            before_after_section(reach)

if app.role().manages:  # editing is the beheerder's (sign-in and roles: app_support.gate)
    editor = st.expander("Activiteiten bewerken", icon=":material/edit:", key="activiteiten_bewerken", on_change="rerun")
    if editor.open:  # the editor is drawn only when opened: most visits never edit
        with editor:
            st.caption("Het activiteitenregister van de regio: voeg een activiteit toe (bijvoorbeeld het bedrijfsbezoek van dinsdag) of "
                       "verbeter er een. Schooljaar als 2024-2025, datum als 14-03-2025, school als vestigingscode (leeg of de naam van een "
                       "basisschool: de regio), aantallen als hele getallen. Bij opslaan wordt alles gecontroleerd zoals bij het laden; "
                       "de vorige versie blijft bewaard als reservekopie naast de database.")
            with app.cursor() as cur:
                current = loading_activities.register(cur)
            edited = st.data_editor(
                current, num_rows="dynamic", hide_index=True, key="activiteiten_editor",
                column_config={
                    "activiteit_id": st.column_config.TextColumn("Activiteit-id", required=True),
                    "naam": st.column_config.TextColumn("Naam"),
                    "soort": st.column_config.TextColumn("Soort", help="techniekweek, techcarrousel, meeloopdag, bedrijfsbezoek, gastles, ..."),
                    "schooljaar": st.column_config.TextColumn("Schooljaar"),
                    "datum": st.column_config.TextColumn("Datum"),
                    "school": st.column_config.TextColumn("School"),
                    "leerjaar": st.column_config.TextColumn("Leerjaar"),
                    "deelnemers": st.column_config.TextColumn("Deelnemers"),
                    "meisjes": st.column_config.TextColumn("Meisjes"),
                },
            )
            if st.button("Register opslaan", key="activiteiten_save", icon=":material/save:"):
                with app.writing() as cur:
                    errors = loading_activities.save_register(cur, pd.DataFrame(edited), ctx.source.path)
                    if not errors:
                        audit.record(cur, app.who(), audit.ACTIVITIES, "activiteitenregister", f"{len(edited)} activiteiten")
                if errors:
                    st.error("Niet opgeslagen; het register is ongewijzigd.\n\n" + "\n\n".join(app.md_escape(e) for e in errors),
                             icon=":material/error:")
                else:
                    st.session_state[SAVED_KEY] = loading_activities.backup_path(ctx.source.path).name
                    st.session_state.pop("activiteiten_editor", None)  # the editor starts again from the stored register
                    st.rerun()  # every figure picks up the new data version
            saved = st.session_state.pop(SAVED_KEY, None)
            if saved:
                st.success("Opgeslagen. De vorige versie staat in " + app.md_escape(saved) + ".", icon=":material/check:")
