"""Doorstroom: where diploma holders go, progression into technical mbo/ho, and the cohort flow."""

import streamlit as st

import app_support as app
from sto_metrics import published
from sto_metrics.metrics import registry
from sto_metrics.national import presentation as national_view
from sto_metrics.presentation import charts, display_tables
from sto_metrics.presentation import formatting as fmt

ctx = app.context()
st.title("Doorstroom techniek")
level = st.segmented_control("Onderwijssoort", options=list(app.LEVEL_OPTIONS), format_func=app.LEVEL_OPTIONS.get, default="vmbo",
                             required=True, key="doorstroom_niveau", bind="query-params") or "vmbo"
follow = "mbo" if level == "vmbo" else "hbo/wo"
st.caption(f"Gediplomeerden van het {app.LEVEL_OPTIONS[level]} en waar zij een jaar later staan ingeschreven. Een diplomajaar verschijnt "
           "pas als de mbo- of ho-gegevens van het jaar erna zijn geladen.")

PROGRESSION, DESTINATIONS, FLOW = "Doorstroom", "Bestemming", "Cohortstroom"
ORIGIN_GROUPS = {"totaal": "alle gediplomeerden", "techniek": "uit een technisch profiel", "overig": "uit een ander profiel"}


def panels(ctx: app.Context, level: str) -> dict:
    """Tables in, the progression trend's input and display and the destinations per origin group out (built through app.section)."""
    progression = ctx.table(registry.of("progression", level).name)
    series = progression["from_group"].map(fmt.FROM_GROUP_LABELS) if not progression.empty else None
    destinations = ctx.table(registry.of("destinations", level).name)
    by_group = {}
    for group in ORIGIN_GROUPS:
        table = destinations[destinations["from_group"] == group] if not destinations.empty else destinations
        with_shares = display_tables.destination_shares(table, app.RULES.min_share_denominator)
        by_group[group] = (charts.destinations_figure(with_shares), display_tables.destinations_display(with_shares, region_name=ctx.region_name))
    return {
        "years": list(progression["school_year"]),
        "trend_input": display_tables.share_chart_input(progression, numerator="technical", denominator="enrolled", series=series),
        "progression": display_tables.progression_display(progression, level=level, region_name=ctx.region_name),
        "destinations": by_group,
    }


def flow_panel(ctx: app.Context, start: int, school_id: str | None) -> tuple:
    """The cohort flow from `start` as a figure and its display table (built through app.section)."""
    nodes, links = ctx.cohort_flow(start, school_id)
    return charts.sankey_figure(nodes, links), display_tables.flow_display(nodes, links)


if not app.no_data_notice(ctx):
    region_name = ctx.region_name
    progression_metric, destinations_metric = registry.of("progression", level), registry.of("destinations", level)

    # Per school there are no leerweg or gender figures for destinations (too small to protect): the reason instead.
    refused = published.refusal(progression_metric.name, population=ctx.filters.population)
    start_years = [year for year in ctx.school_years if year + 1 in ctx.school_years] if level == "vmbo" else []
    # One section at a time: each is a tab, drawn only when open.
    section, tab = app.open_section(f"doorstroom_sectie_{level}", [PROGRESSION, DESTINATIONS, *([FLOW] if start_years else [])])

    def progression_section(shown: str) -> None:
        """Progression or destinations; per school under a leerweg or gender filter, the reason instead."""
        if refused:
            st.info(refused, icon=":material/info:")
            return
        built = app.section(ctx, panels, level, reads=registry.reads_of([progression_metric, destinations_metric]))
        comparison = national_view.comparison_for(progression_metric.name)  # vmbo only: DUO counts mbo entrants by prior education

        # 1. Progression trend: behoud, instap and total.
        @app.fragment
        def progression_trend() -> None:  # choosing DUO's lines redraws only this panel
            lines, national_note = (app.national_lines(ctx, comparison.level, key=f"doorstroom_{level}", years=built["years"],
                                                       year_shift=comparison.regional_year_shift) if comparison else (None, None))
            app.figure_panel(
                f"doorstroom_trend_{level}", f"Doorstroom naar {follow} techniek ({region_name.lower()})",
                app.figure(app.trend_with_lines, built["trend_input"], lines, region_names=(fmt.FROM_GROUP_LABELS["totaal"],))
                if lines is not None else app.figure(charts.trend_figure, built["trend_input"], region_names=(fmt.FROM_GROUP_LABELS["totaal"],)),
                built["progression"],
                definition=ctx.definition(progression_metric.name),
                notes=["Behoud: leerlingen uit een technisch profiel die in de techniek blijven. Instap: leerlingen uit een ander profiel "
                       "die alsnog voor techniek kiezen.",
                       *([f"{national_note} De landelijke lijn staat bij het diplomajaar vóór het jaar van instroom."] if national_note else [])],
                file_stem=f"doorstroom_{level}",
            )

        # 2. Destinations as stacked bars, for one origin group (the choice redraws only this panel).
        @app.fragment
        def destinations() -> None:
            group = st.segmented_control("Herkomst", options=list(ORIGIN_GROUPS), format_func=ORIGIN_GROUPS.get, default="totaal",
                                         required=True, key="doorstroom_herkomst", bind="query-params") or "totaal"
            figure, display = built["destinations"][group]
            app.figure_panel(
                f"bestemming_{level}", f"Bestemming van de gediplomeerden, {ORIGIN_GROUPS[group]} ({region_name.lower()})", figure, display,
                definition=ctx.definition(destinations_metric.name),
                notes=["Een aantal dat als <5 staat, is niet getekend (de balk zou het verraden); de tabel noemt het wel."],
                file_stem=f"bestemming_{level}_{group}",
            )

        if shown == PROGRESSION:
            progression_trend()
        else:
            destinations()

    # 3. Cohort flow (vmbo): leerjaar 2 -> leerjaar 3 -> diploma -> destination (the start year redraws only this panel).
    @app.fragment
    def cohort_flow(start_years: list[int]) -> None:
        default = max((y for y in start_years if y + 3 in ctx.school_years), default=start_years[0])
        start = st.selectbox("Startjaar (leerjaar 2)", options=start_years, index=start_years.index(default), format_func=fmt.school_year,
                             key="doorstroom_startjaar", bind="query-params")
        school_id = ctx.filters.school_ids[0] if len(ctx.filters.school_ids) == 1 else None
        flow_refused = published.refusal("cohort_flow", population=ctx.filters.population, per_school=school_id is not None)
        if flow_refused:
            st.info(flow_refused, icon=":material/info:")
            return
        figure, display = app.section(ctx, flow_panel, int(start), school_id, reads=registry.get("cohort_flow").reads)
        scope = ctx.school_name(school_id) if school_id else "regio"
        app.figure_panel(
            "cohortstroom", f"Cohortstroom vanaf leerjaar 2 in {fmt.school_year(start)}", figure, display,
            definition=ctx.definition("cohort_flow"),
            notes=[f"Getoond voor: {scope}. Kies in de zijbalk precies één school om die school te volgen; de filters op leerweg "
                   "en geslacht gelden voor de leerlingen zoals zij in leerjaar 2 stonden ingeschreven.",
                   "Stromen die als <5 staan, zijn niet getekend; de tabel noemt ze wel."],
            file_stem=f"cohortstroom_{start}",
        )

    with tab:
        if section == FLOW:
            cohort_flow(start_years)
        else:
            progression_section(section)
