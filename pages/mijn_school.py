"""Mijn school: one school's inflow and progression next to the region's."""

import dataclasses

import pandas as pd
import streamlit as st

import app_support as app
from sto_metrics import published
from sto_metrics.metrics import registry
from sto_metrics.national import presentation as national_view
from sto_metrics.presentation import charts, display_tables
from sto_metrics.presentation import formatting as fmt

ctx = app.context()
st.title("Mijn school")
st.caption("Eén school naast de hele regio. De keuze van scholen in de zijbalk geldt hier niet; leerweg en geslacht wel.")

if not app.no_data_notice(ctx):
    school_ids = list(ctx.schools["school_id"])
    own = app.role().school_id  # a school coordinator starts at their own school
    default = ctx.filters.school_ids[0] if ctx.filters.school_ids else own if own in school_ids else school_ids[0]
    school_id = st.selectbox("School", options=school_ids, index=school_ids.index(default), format_func=lambda s: f"{ctx.school_name(s)} ({s})",
                             key="school", bind="query-params")
    school_name = ctx.school_name(school_id)
    st.subheader(app.md_escape(f"{school_name} ({school_id})"), anchor=False)
    population = dataclasses.replace(ctx.filters.population, school_ids=())
    region_name = display_tables.REGION_LABEL

    def school_and_region(metric: registry.Metric) -> pd.DataFrame:
        """Region rows and this school's rows of one display-safe table, only the rows that carry the figure."""
        region = ctx.table(metric.name, population=population)
        schools = ctx.table(metric.name, by="school", population=population)
        table = pd.concat([region, schools[schools["scope"] == school_id]], ignore_index=True)
        return display_tables.headline_rows(table, metric)

    # Figures a school has only for all its pupils (destinations, progression) are left out under a leerweg or gender.
    refused = {m.name: published.refusal(m.name, by="school", population=population) for m in registry.on_page("mijn_school")}
    if any(refused.values()):
        st.caption(next(reason for reason in refused.values() if reason))
    shares = [metric for metric in registry.on_page("mijn_school") if metric.unit == "aandeel" and not refused[metric.name]]
    tables = {metric.name: school_and_region(metric) for metric in shares}
    present = [metric for metric in shares if (tables[metric.name]["scope"] == school_id).any()]
    if not present:
        st.info("Voor deze school zijn in deze selectie geen cijfers.", icon=":material/info:")

    # Latest figure of the school against the region, as cards.
    columns = [column for _ in range(0, len(present), 4) for column in st.columns(4, gap="small")]
    for column, metric in zip(columns, present, strict=False):
        table = tables[metric.name]
        own = display_tables.headline(table, scope=school_id, years=ctx.filters.years, baseline_year=app.FIRST_STO_YEAR,
                                      numerator=metric.numerator, denominator=metric.denominator)
        region = display_tables.headline(table, years=ctx.filters.years, baseline_year=app.FIRST_STO_YEAR,
                                         numerator=metric.numerator, denominator=metric.denominator)
        difference = own.share - region.share if own and region and own.share is not None and region.share is not None else None
        overlaps = display_tables.intervals_overlap((own.ci_low, own.ci_high), (region.ci_low, region.ci_high)) if difference is not None else None
        with column, st.container(border=True, key=f"school_card_{metric.name}"):
            # Above or below the region only in colour when the 95% intervals do not overlap.
            st.metric(metric.label_nl, fmt.percent(own.share) if own else fmt.HIDDEN,
                      delta=fmt.points(difference) or None, delta_color="off" if overlaps is not False else "normal",
                      delta_description=("t.o.v. de regio" + (" · binnen de onzekerheidsmarge" if overlaps else "")) if difference is not None else None,
                      help=ctx.definition(metric.name))
            if own:
                st.caption(f"{fmt.school_year(own.year)}: {fmt.count(own.numerator)} van {fmt.count(own.denominator)} leerlingen; "
                           f"regio {fmt.percent(region.share) if region else fmt.HIDDEN}.")

    def trend_panels(metric: registry.Metric) -> None:
        """The school's trend against the region, then the school against its province and the country (DUO's files)."""
        table = tables[metric.name]
        app.figure_panel(
            f"school_{metric.name}", f"{metric.label_nl}: school en regio",
            app.figure(charts.trend_figure, display_tables.share_chart_input(table, numerator=metric.numerator,
                                                                             denominator=metric.denominator, region_name=region_name)),
            display_tables.figure_display(table, metric, region_name=region_name),
            definition=ctx.definition(metric.name), file_stem=f"{school_id}_{metric.name}",
        )
        comparison = national_view.comparison_for(metric.name)
        national = app.national(ctx, comparison.level, school_id=school_id) if comparison and comparison.level != "vmbo-mbo" else None
        if national is None or not national.loaded:
            return
        own = table[table["scope"] == school_id]
        figure = app.figure(app.trend_with_lines,
                            display_tables.share_chart_input(own, numerator=metric.numerator, denominator=metric.denominator),
                            national_view.select(national.table, {"school": None, "provincie": None, "landelijk": None},
                                                 years=list(own["school_year"])), region_names=())
        app.figure_panel(
            f"school_landelijk_{comparison.level}", f"{comparison.label_nl.split(',')[0]}: school, provincie en land",
            figure, national_view.display(national.table), definition=national.note,
            notes=["De doorgetrokken lijn komt uit de eigen bestanden (afgeschermd zoals overal); de gestippelde lijnen uit DUO's "
                   "openbare bestanden (de school zoals DUO haar telt, haar provincie en heel Nederland)."],
            file_stem=f"{school_id}_{comparison.level}_landelijk",
        )

    def school_destinations(metric: registry.Metric) -> pd.DataFrame:
        destinations = display_tables.headline_rows(ctx.table(metric.name, by="school", population=population), metric)
        return destinations[destinations["scope"] == school_id]

    def destination_panel(metric: registry.Metric, destinations: pd.DataFrame) -> None:
        """Where this school's graduates go."""
        with_shares = display_tables.destination_shares(destinations, app.RULES.min_share_denominator)
        app.figure_panel(
            f"school_{metric.name}", f"{metric.label_nl} van de school",
            app.figure(charts.destinations_figure, with_shares), display_tables.destinations_display(with_shares),
            definition=ctx.definition(metric.name), file_stem=f"{school_id}_{metric.name}",
        )

    # One figure at a time: a tab per figure (its trend against the region, then DUO's lines), drawn only when open.
    counted = {metric.label_nl: (metric, school_destinations(metric)) for metric in registry.on_page("mijn_school")
               if metric.unit == "aantal" and not refused[metric.name]}
    counted = {title: found for title, found in counted.items() if not found[1].empty}
    trends = {metric.label_nl: metric for metric in present}
    if trends or counted:
        section, tab = app.open_section("mijn_school_sectie", [*trends, *counted])
        with tab:
            if section in trends:
                trend_panels(trends[section])
            else:
                destination_panel(*counted[section])
