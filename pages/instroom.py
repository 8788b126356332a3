"""Instroom: the share of pupils choosing a technical profile, per school and for the region."""

import pandas as pd
import streamlit as st

import app_support as app
from sto_metrics import schoolyear
from sto_metrics.metrics import registry
from sto_metrics.presentation import charts, display_tables
from sto_metrics.presentation import formatting as fmt

ctx = app.context()
st.title("Instroom techniek")
level = st.segmented_control("Onderwijssoort", options=list(app.LEVEL_OPTIONS), format_func=app.LEVEL_OPTIONS.get, default="vmbo",
                             required=True, key="instroom_niveau", bind="query-params") or "vmbo"
st.caption("vmbo: leerlingen in leerjaar 3; havo/vwo: leerlingen in leerjaar 4. De band om elke lijn is het 95%-betrouwbaarheidsinterval "
           "(Wilson): overlappen de banden van twee jaren, dan is een verschil niet met zekerheid te zeggen.")

UNKNOWN_NOTE = "Profiel onbekend: leerlingen zonder of met een onbekend profiel; zij tellen niet mee in de noemer."


# Each section's tables in, its chart inputs, figures and display tables out: built once per data and filters
# (app.section), and only when the section is first opened.


def region_panel(ctx: app.Context, level: str) -> dict:
    region = ctx.table(registry.of("inflow", level).name)
    return {
        "region_years": list(region["school_year"]),
        "region_input": display_tables.share_chart_input(region, numerator="technical", denominator="pupils", region_name=ctx.region_name),
        "region": display_tables.inflow_display(region, region_name=ctx.region_name),
    }


def school_panels(ctx: app.Context, level: str) -> dict:
    inflow = registry.of("inflow", level)
    region_name = ctx.region_name
    region = ctx.table(inflow.name)
    region_input = display_tables.share_chart_input(region, numerator="technical", denominator="pupils", region_name=region_name)
    schools = ctx.table(inflow.name, by="school")
    trend = pd.concat([region, schools], ignore_index=True)
    built = {
        "per_school": (charts.small_multiples_figure(display_tables.share_chart_input(schools, numerator="technical", denominator="pupils"),
                                                     reference=region_input),
                       display_tables.inflow_display(trend, region_name=region_name)),
        "latest": None,
    }
    if not trend.empty:
        latest = max(trend["school_year"], key=schoolyear.start)
        year_rows = trend[trend["school_year"] == latest]
        built["latest"] = (latest, charts.compare_figure(display_tables.share_chart_input(year_rows, numerator="technical", denominator="pupils",
                                                                                          region_name=region_name), region_label=region_name),
                           display_tables.inflow_display(year_rows, region_name=region_name))
    return built


def breakdown_panels(ctx: app.Context, level: str) -> list:
    inflow = registry.of("inflow", level)
    built = []
    for breakdown in inflow.breakdowns:
        table = ctx.table(inflow.name, split=breakdown.request)
        series = table["split"].map(lambda v, b=breakdown: display_tables.split_label(v, b)) if not table.empty else None
        built.append((
            breakdown,
            charts.trend_figure(display_tables.share_chart_input(table, numerator="technical", denominator="pupils", series=series), region_names=()),
            display_tables.inflow_display(table, region_name=ctx.region_name, split_column=breakdown.label_nl, breakdown=breakdown),
        ))
    return built


PER_SCHOOL = "Per school"

if not app.no_data_notice(ctx):
    inflow = registry.of("inflow", level)
    definition = ctx.definition(inflow.name)
    region_name = ctx.region_name
    further = [metric for metric in registry.on_page("instroom") if metric.family != inflow.family and metric.level == level]
    breakdowns_title = "Naar " + " en ".join(b.label_nl.lower() for b in inflow.breakdowns)
    titles = [region_name, PER_SCHOOL, *([breakdowns_title] if inflow.breakdowns else []), *(metric.label_nl for metric in further)]
    # One section at a time: each is a tab, drawn only when open.
    section, tab = app.open_section(f"instroom_sectie_{level}", titles)

    # 1. Trend of the region (or selection), with its interval band.
    @app.fragment
    def region_trend() -> None:  # choosing DUO's lines redraws only this panel
        built = app.section(ctx, region_panel, level, reads=inflow.reads)
        lines, national_note = app.national_lines(ctx, level, key=f"instroom_{level}", years=built["region_years"])
        app.figure_panel(
            f"instroom_trend_{level}", f"Aandeel techniek per schooljaar ({app.LEVEL_OPTIONS[level]}, {region_name.lower()})",
            app.figure(app.trend_with_lines, built["region_input"], lines, region_names=(region_name,)), built["region"],
            definition=definition, notes=[UNKNOWN_NOTE, *([national_note] if national_note else [])],
            file_stem=f"instroom_{level}_{region_name.lower()}",
        )

    # 2. Breakdowns of the region (or selection): geslacht, and leerweg for vmbo; one at a time (the choice redraws only this panel).
    @app.fragment
    def breakdowns() -> None:
        built = app.section(ctx, breakdown_panels, level, reads=inflow.reads)
        found = {breakdown.request: (breakdown, figure, display) for breakdown, figure, display in built}
        request = st.segmented_control("Uitsplitsing", options=list(found), default=next(iter(found)), required=True,
                                       format_func=lambda r: f"naar {found[r][0].label_nl.lower()}", key=f"instroom_uitsplitsing_{level}",
                                       persist_state="page")  # kept while another section is open
        breakdown, figure, display = found[request or next(iter(found))]
        app.figure_panel(
            f"instroom_{breakdown.request}_{level}", f"Naar {breakdown.label_nl.lower()} ({region_name.lower()})", figure, display,
            definition=definition, notes=[UNKNOWN_NOTE], file_stem=f"instroom_{level}_{breakdown.request}",
        )

    with tab:
        if section == region_name:
            region_trend()
        elif section == PER_SCHOOL:
            # One small chart per school, the region dashed for comparison; then the schools compared in the latest year.
            built = app.section(ctx, school_panels, level, reads=inflow.reads)
            figure, display = built["per_school"]
            app.figure_panel(
                f"instroom_per_school_{level}", f"Per school ({app.LEVEL_OPTIONS[level]})", figure, display,
                definition=definition, notes=[UNKNOWN_NOTE, f"De gestippelde lijn is de {region_name.lower()}."],
                file_stem=f"instroom_{level}_per_school",
            )
            if built["latest"] is not None:
                latest, figure, display = built["latest"]
                app.figure_panel(
                    f"instroom_scholen_{level}", f"Scholen vergeleken in {fmt.school_year(latest)}", figure, display,
                    definition=definition,
                    notes=["Het streepje om elke stip is het 95%-interval: scholen waarvan de intervallen elkaar overlappen, verschillen "
                           "niet met zekerheid."],
                    file_stem=f"instroom_{level}_scholen_{latest}",
                )
        elif section == breakdowns_title:
            breakdowns()
        else:
            # Further share figures of this level declared for this page (profielbehoud leerjaar 3 -> 4 for vmbo).
            for metric in further:
                if metric.label_nl == section:
                    app.share_panels(ctx, metric, key_prefix="instroom")
