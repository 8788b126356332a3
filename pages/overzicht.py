"""Overzicht: the latest inflow and progression of the region, with change and trend."""

import streamlit as st

import app_support as app
from sto_metrics import published
from sto_metrics.metrics import registry
from sto_metrics.national import presentation as national_view
from sto_metrics.presentation import display_tables
from sto_metrics.presentation import formatting as fmt

ctx = app.context()
st.title("Overzicht")
st.caption(f"Instroom en doorstroom techniek in één oogopslag ({ctx.region_name.lower()}). "
           f"Verschillen in procentpunten ten opzichte van het jaar ervoor en van {fmt.school_year(app.FIRST_STO_YEAR)}, "
           "het eerste jaar van Sterk Techniekonderwijs.")


def cards(ctx: app.Context) -> tuple[list[dict], object]:
    """Each card's figure (or the reason there is none), DUO's line beside it, and the table behind the cards (through app.section)."""
    found, rows = [], []
    for metric in registry.on_page("overzicht"):
        refused = published.refusal(metric.name, population=ctx.filters.population)
        table = None if refused else display_tables.headline_rows(ctx.table(metric.name, all_years=True), metric)
        summary = None if refused else display_tables.headline(table, years=ctx.filters.years, baseline_year=app.FIRST_STO_YEAR,
                                                              numerator=metric.numerator, denominator=metric.denominator)
        national_text, national_note = None, None
        comparison = national_view.comparison_for(metric.name)
        if summary is not None and comparison:  # DUO's national figure of the same school year, with how its definition differs
            national = app.national(ctx, comparison.level)
            text = national_view.share_text(national.table, summary.year + comparison.regional_year_shift) if national.loaded else None
            if text:
                national_text = f"{text[:1].upper()}{text[1:]} (DUO). {registry.COMPARISONS[comparison.level].difference_nl}"
                national_note = national.note
        found.append({"metric": metric, "refused": refused, "summary": summary, "national": national_text, "national_note": national_note})
        rows.append(display_tables.headline_row(metric.label_nl, summary, app.FIRST_STO_YEAR))
    return found, display_tables.headline_display(rows)


if not app.no_data_notice(ctx):
    found, display = app.section(ctx, cards)
    columns = [column for _ in range(0, len(found), 2) for column in st.columns(2, gap="medium")]
    for column, card in zip(columns, found, strict=False):
        metric, summary = card["metric"], card["summary"]
        label = metric.label_nl
        definition = ctx.definition(metric.name)
        with column, st.container(border=True, key=f"card_{metric.name}"):
            if summary is None:
                st.metric(label, fmt.HIDDEN, help=definition)
                st.caption(card["refused"] or "Nog geen cijfers voor deze selectie.")
                continue
            st.metric(
                label,
                fmt.percent(summary.share),
                delta=fmt.points(summary.change_previous) or None,
                # Only a change whose intervals do not overlap is coloured as a rise or fall.
                delta_color="off" if summary.previous_overlaps is not False else "normal",
                delta_description=(f"t.o.v. {fmt.school_year(summary.previous_year)}"
                                   + (" · binnen de onzekerheidsmarge" if summary.previous_overlaps else "")) if summary.previous_year else None,
                chart_data=summary.trend or None,
                chart_type="line",
                help=definition,
            )
            st.caption(f"{fmt.school_year(summary.year)}: {fmt.count(summary.numerator)} van {fmt.count(summary.denominator)} "
                       f"leerlingen (95%-interval {fmt.interval(summary.ci_low, summary.ci_high)}).")
            margin = {True: " (binnen de onzekerheidsmarge)", False: " (de 95%-intervallen overlappen niet)"}.get(summary.baseline_overlaps, "")
            baseline = (f"T.o.v. {fmt.school_year(app.FIRST_STO_YEAR)} (start STO): {fmt.points(summary.change_baseline)}{margin}."
                        if summary.change_baseline is not None else f"Geen vergelijkbaar cijfer voor {fmt.school_year(app.FIRST_STO_YEAR)}.")
            st.caption(baseline)
            if card["national"]:
                st.caption(app.md_escape(card["national"]), help=card["national_note"])

    st.subheader("De cijfers achter de kaarten")
    # A static table: four rows need no grid (heavy in the browser); cells are registry labels and formatted numbers, no user text.
    st.table(display, hide_index=True)
    st.caption(app.md_escape(fmt.suppression_note(app.RULES.min_count, app.RULES.min_share_denominator)))
    st.caption("Doorstroom: het laatste diplomajaar waarvan de bestemming bekend is (mbo- of ho-gegevens van het jaar erna geladen). "
               "Wijs een kaart aan voor de volledige definitie.")
    st.download_button("CSV downloaden (zoals getoond)", data=lambda: app.csv_bytes(display), file_name="overzicht.csv", mime="text/csv",
                       key="overzicht_csv", on_click="ignore", icon=":material/download:")
