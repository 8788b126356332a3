"""Activiteiten: whom the region's activities reached, and whether participants chose technology more often."""

import streamlit as st

import app_support as app
from sto_metrics.metrics import activities, registry
from sto_metrics.presentation import activities as shown
from sto_metrics.presentation import charts
from sto_metrics.settings import PopulationFilter

ctx = app.context()
st.title("Activiteiten")
st.caption("Wie de activiteiten van de regio bereikten (techniekweken, Techcarrousel, meeloopdagen ...) en of leerlingen die "
           "meededen vaker voor techniek kozen. Het activiteitenregister en de deelnemerslijsten laad je op de pagina Data; "
           "een activiteit toevoegen kan hieronder.")

if not app.no_data_notice(ctx):
    with app.cursor() as cur:
        labels = activities.activity_type_names(cur)
    # Head counts have no leerweg or gender: only the school choice applies to reach.
    reach = ctx.table("reach", by="school", population=PopulationFilter(school_ids=ctx.filters.school_ids))
    if ctx.filters.leerwegen or ctx.filters.genders:
        st.caption("Leerweg en geslacht in de zijbalk gelden niet voor het bereik (deelnemers zijn per klas of groep geteld).")
    if reach.empty:
        st.info("Er is nog geen activiteitenregister geladen. Laad het op de pagina **Data**.", icon=":material/info:")
    else:
        kind_labels = shown.activity_type_labels(labels, reach["activity_type"])
        st.header("Bereik per school en jaar", divider="gray")
        at_schools = [k for k in kind_labels if (reach.loc[reach["activity_type"] == k, "scope"] != "regio").any()] or list(kind_labels)
        kind = st.segmented_control("Soort activiteit", options=at_schools, format_func=kind_labels.get, default=at_schools[0],
                                    key="activiteiten_soort") or at_schools[0]
        of_kind = reach[reach["activity_type"] == kind]
        app.figure_panel(
            "activiteiten_bereik", f"Bereik: {kind_labels[kind]}", shown.reach_heatmap(of_kind),
            shown.reach_display(of_kind, kind_labels), definition=ctx.definition("reach"), notes=[shown.CAPPED_NOTE],
            file_stem=f"bereik_{kind}",
        )
        girls = shown.girls_input(reach, kind_labels)
        app.figure_panel(
            "activiteiten_meisjes", "Meisjes bereikt", shown.girls_figure(girls), shown.girls_display(girls),
            definition=ctx.definition("reach"), notes=["Opgeteld over de regels waarvan de aantallen getoond worden (geen <5)."],
            file_stem="meisjes_bereikt",
        )
        with st.expander("Alle activiteiten (tabel)"):
            st.dataframe(shown.reach_display(reach, kind_labels), hide_index=True, key="activiteiten_alle")

    st.header("Kiezen deelnemers vaker voor techniek?", divider="gray")
    st.info(activities.CAVEAT_NL, icon=":material/info:")
    by = st.segmented_control("Vergelijking", options=["school", "regio"], default="school", key="activiteiten_vergelijking",
                              format_func={"school": "binnen de school", "regio": "hele regio"}.get) or "school"
    effect = ctx.table("activity_effect", by=by)
    if effect.empty:
        st.info("Er zijn nog geen deelnemerslijsten van een eerder schooljaar: de vergelijking verschijnt zodra die er zijn.",
                icon=":material/info:")
    else:
        if by == "school":
            compared = [s for s in dict.fromkeys(effect["scope"]) if effect.loc[effect["scope"] == s, "share"].notna().any()]
            compared = compared or list(dict.fromkeys(effect["scope"]))
            school_id = st.selectbox("School", options=compared, format_func=lambda s: f"{ctx.school_name(s)} ({s})",
                                     key="activiteiten_school")
            effect = effect[effect["scope"] == school_id]
        difference = activities.group_difference(effect)
        sentence = shown.difference_sentence(difference)
        if sentence:
            st.markdown(app.md_escape(sentence))
        app.figure_panel(
            "activiteiten_effect", "Aandeel technisch profiel in leerjaar 3: deelnemers en niet-deelnemers",
            charts.trend_figure(shown.effect_chart_input(effect), region_names=()), shown.effect_display(effect, difference),
            definition=ctx.definition("activity_effect"), notes=[activities.CAVEAT_NL], file_stem=f"keuze_na_deelname_{by}",
        )

    if not reach.empty:
        st.header("Voor en na de start van een activiteit", divider="gray")
        inflow = registry.get("inflow_vmbo")
        frame = shown.before_after_input(ctx.table(inflow.name, by="school"), shown.start_years(reach))
        app.figure_panel(
            "activiteiten_voor_na", "Instroom techniek per school, voor en na de eerste activiteit",
            shown.before_after_figure(frame), shown.before_after_display(frame), definition=ctx.definition(inflow.name),
            notes=["Een ster markeert het jaar waarin de school met een activiteit begon; grijze stippellijnen zijn scholen zonder "
                   "activiteit op school. Dit laat een samenhang in de tijd zien, geen bewijs dat de activiteit het verschil maakte."],
            file_stem="instroom_voor_na",
        )
