"""Mijn school: one school's inflow and progression next to the region's."""

import dataclasses

import pandas as pd
import streamlit as st

import app_support as app
from sto_metrics.presentation import charts, display_tables
from sto_metrics.presentation import formatting as fmt

ctx = app.context()
st.title("Mijn school")
st.caption("Eén school naast de hele regio. De keuze van scholen in de zijbalk geldt hier niet; leerweg en geslacht wel.")

if not app.no_data_notice(ctx):
    school_ids = list(ctx.schools["school_id"])
    default = ctx.filters.school_ids[0] if ctx.filters.school_ids else school_ids[0]
    school_id = st.selectbox("School", options=school_ids, index=school_ids.index(default), format_func=lambda s: f"{ctx.school_name(s)} ({s})",
                             key="school", bind="query-params")
    school_name = ctx.school_name(school_id)
    st.subheader(app.md_escape(f"{school_name} ({school_id})"), anchor=False)
    population = dataclasses.replace(ctx.filters.population, school_ids=())
    region_name = display_tables.REGION_LABEL

    def school_and_region(kind: str, level: str) -> pd.DataFrame:
        """Region rows and this school's rows of one display-safe table."""
        region = ctx.table(kind, level, population=population)
        schools = ctx.table(kind, level, by="school", population=population)
        return pd.concat([region, schools[schools["scope"] == school_id]], ignore_index=True)

    cards = [("inflow", "vmbo", "pupils"), ("inflow", "havo-vwo", "pupils"), ("progression", "vmbo", "enrolled"),
             ("progression", "havo-vwo", "enrolled")]
    tables = {}
    for kind, level, _ in cards:
        table = school_and_region(kind, level)
        if kind == "progression" and not table.empty:
            table = table[table["from_group"] == "totaal"]
        tables[(kind, level)] = table
    present = [(kind, level, denominator) for kind, level, denominator in cards if (tables[(kind, level)]["scope"] == school_id).any()]
    if not present:
        st.info("Voor deze school zijn in deze selectie geen cijfers.", icon=":material/info:")

    # Latest figure of the school against the region, as cards.
    columns = st.columns(max(1, len(present)), gap="small")
    for column, (kind, level, denominator) in zip(columns, present, strict=False):
        table = tables[(kind, level)]
        own = display_tables.headline(table, scope=school_id, years=ctx.filters.years, baseline_year=app.FIRST_STO_YEAR,
                                 numerator="technical", denominator=denominator)
        region = display_tables.headline(table, years=ctx.filters.years, baseline_year=app.FIRST_STO_YEAR,
                                    numerator="technical", denominator=denominator)
        difference = own.share - region.share if own and region and own.share is not None and region.share is not None else None
        overlaps = display_tables.intervals_overlap((own.ci_low, own.ci_high), (region.ci_low, region.ci_high)) if difference is not None else None
        with column, st.container(border=True, key=f"school_card_{kind}_{level}"):
            # Above or below the region only in colour when the 95% intervals do not overlap.
            st.metric(app.metric_label(kind, level), fmt.percent(own.share) if own else fmt.HIDDEN,
                      delta=fmt.points(difference) or None, delta_color="off" if overlaps is not False else "normal",
                      delta_description=("t.o.v. de regio" + (" · binnen de onzekerheidsmarge" if overlaps else "")) if difference is not None else None,
                      help=ctx.definition(kind, level))
            if own:
                st.caption(f"{fmt.school_year(own.year)}: {fmt.count(own.numerator)} van {fmt.count(own.denominator)} leerlingen; "
                           f"regio {fmt.percent(region.share) if region else fmt.HIDDEN}.")

    for kind, level, denominator in present:
        table = tables[(kind, level)]
        title = f"{app.metric_label(kind, level)}: school en regio"
        if kind == "inflow":
            display = display_tables.inflow_display(table, region_name=region_name)
        else:
            display = display_tables.progression_display(table, level=level, region_name=region_name)
        app.figure_panel(
            f"school_{kind}_{level}", title,
            charts.trend_figure(display_tables.share_chart_input(table, numerator="technical", denominator=denominator, region_name=region_name)),
            display, definition=ctx.definition(kind, level), file_stem=f"{school_id}_{kind}_{level}",
        )

    # Where this school's vmbo graduates go.
    destinations = ctx.table("destinations", "vmbo", by="school", population=population)
    if not destinations.empty:
        destinations = destinations[(destinations["scope"] == school_id) & (destinations["from_group"] == "totaal")]
    if not destinations.empty:
        with_shares = display_tables.destination_shares(destinations, app.RULES.min_share_denominator)
        app.figure_panel(
            "school_bestemming", "Bestemming van de vmbo-gediplomeerden van de school",
            charts.destinations_figure(with_shares), display_tables.destinations_display(with_shares),
            definition=ctx.definition("destinations", "vmbo"), file_stem=f"{school_id}_bestemming",
        )
