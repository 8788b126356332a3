"""Ambities: the region's targets against the realised figures, with a traffic-light status and editing."""

import dataclasses
import hashlib
import io

import pandas as pd
import streamlit as st

import app_support as app
from sto_metrics import audit
from sto_metrics.errors import UserError
from sto_metrics.metrics import ambitions, registry
from sto_metrics.presentation import charts
from sto_metrics.presentation import formatting as fmt
from sto_metrics.settings import MetricSettings

STATUS_LABELS = {"behaald": "✔ behaald", "op koers": "▲ op koers", "achter": "▼ achter", "geen data": "○ geen data"}


@st.cache_data(max_entries=32, ttl=app.CACHE_TTL_SECONDS, show_spinner="Ambities doorrekenen…")
def evaluated(path: str, version: str, targets_csv: str, settings_key: tuple) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Ambitions with status and realised series; `targets_csv` keys the cache on the file's content."""
    targets = pd.read_csv(io.StringIO(targets_csv), dtype=str, keep_default_na=False)
    with app.cursor(path) as cur:
        return ambitions.evaluate_with_series(cur, targets, MetricSettings(*settings_key))


def file_digest(path) -> str:
    """The ambitions file's content hash ('' when it does not exist)."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def changed_rows(before: pd.DataFrame, after: pd.DataFrame) -> str:
    """For the audit log: which ambitions (indicator, school or region, group) a save added, changed or removed."""
    def rows(table: pd.DataFrame) -> set[tuple]:
        return set(table.astype(str).itertuples(index=False, name=None))

    def names(found: set[tuple], columns: list[str]) -> str:
        keys = sorted({" ".join(part for part in (row[columns.index(c)] for c in ("metric", "scope", "split")) if part) for row in found})
        return ", ".join(keys[:10]) + (" …" if len(keys) > 10 else "")

    columns = list(after.columns)
    old, new = rows(before[columns]), rows(after)
    return f"nieuw of gewijzigd: {names(new - old, columns) or 'geen'}; verwijderd of gewijzigd: {names(old - new, columns) or 'geen'}"


def split_label(split: str) -> str:
    """'geslacht=V' -> 'meisjes'; no split -> 'alle leerlingen'."""
    return registry.split_label(split) or "alle leerlingen"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The traffic-light table as shown (and downloaded): formatted Dutch text, no exact counts."""
    return pd.DataFrame({
        "Indicator": [registry.get(m).label_nl for m in table["metric"]],
        "Regio of school": table["scope_name"].astype(str).tolist(),
        "Groep": [split_label(s) for s in table["split"]],
        "Nulmeting": [f"{fmt.percent(v)} ({y})" for v, y in zip(table["baseline_value"], table["baseline_year"], strict=True)],
        "Streefwaarde": [f"{fmt.percent(v)} ({y})" for v, y in zip(table["target_value"], table["target_year"], strict=True)],
        "Laatste waarde": [f"{fmt.percent(v)} ({y})" if y else fmt.HIDDEN for v, y in zip(table["latest_value"], table["latest_year"], strict=True)],
        "95%-interval": [fmt.interval(lo, hi) for lo, hi in zip(table["latest_ci_low"], table["latest_ci_high"], strict=True)],
        "Koers (dat jaar)": [fmt.percent(v) for v in table["trajectory_value"]],
        "Status": [STATUS_LABELS[s] for s in table["status"]],
        "Nodig per jaar": [fmt.points(v) if not fmt.is_missing(v) else fmt.HIDDEN for v in table["needed_per_year"]],
        "Toelichting": table["note"].astype(str).tolist(),
    })


ctx = app.context()
st.title("Ambities")
st.caption("Zijn we op koers? Elke ambitie uit het ambitiebestand van de regio tegenover de gerealiseerde cijfers, "
           "met de rechte lijn van nulmeting naar streefwaarde.")

targets_path = ambitions.targets_path()
try:
    targets = ambitions.read_targets(targets_path)
except UserError as error:
    app.user_error(error)
    st.stop()

if not app.no_data_notice(ctx):
    try:
        version = ctx.version_of(*registry.reads_of(registry.ambition_metrics().values()))  # a DUO or activities load keeps these
        table, series = evaluated(ctx.source.path, version, targets.to_csv(index=False), dataclasses.astuple(ctx.filters.settings))
    except UserError as error:
        app.user_error(error)
        table, series = None, []
    if table is not None and len(table):
        scopes = list(dict.fromkeys(table["scope"]))
        names = dict(zip(table["scope"], table["scope_name"], strict=False))
        chosen = st.selectbox("Toon ambities van", options=["*", *scopes], key="ambities_scope", bind="query-params",
                              format_func=lambda s: "alle scholen en de regio" if s == "*" else f"{names[s]} ({s})" if s != "regio" else "de regio")
        shown = table.index if chosen in (None, "*") else table.index[table["scope"] == chosen]
        display = display_table(table.loc[shown])
        counts = table.loc[shown, "status"].value_counts()
        columns = st.columns(4)
        for column, status in zip(columns, ambitions.STATUSES, strict=True):
            column.metric(STATUS_LABELS[status], int(counts.get(status, 0)))
        app.shown_table(display, key="ambities_table")
        st.caption(app.md_escape(ambitions.STATUS_RULE_NL))
        st.caption(app.md_escape(fmt.suppression_note(app.RULES.min_count, app.RULES.min_share_denominator)))
        st.download_button("CSV downloaden (zoals getoond)", data=lambda: app.csv_bytes(display), file_name="ambities.csv", mime="text/csv",
                           key="ambities_csv", on_click="ignore", icon=":material/download:")

        st.header("Per ambitie")
        titles = {position: f"{registry.get(table.loc[position, 'metric']).label_nl} · {table.loc[position, 'scope_name']} · "
                            f"{split_label(table.loc[position, 'split'])}" for position in shown}

        @app.fragment
        def one_ambition() -> None:  # one chart at a time: choosing another redraws only this panel
            position = st.selectbox("Ambitie", options=list(titles), format_func=titles.get, key="ambities_een")
            if position is None:
                return
            row = table.loc[position]
            realised = series[position]
            one = pd.DataFrame({
                "Schooljaar": [fmt.school_year(y) for y in realised["year"]],
                "Gerealiseerd": [fmt.percent(v) for v in realised["share"]],
                "95%-interval": [fmt.interval(lo, hi) for lo, hi in zip(realised["ci_low"], realised["ci_high"], strict=True)],
            })
            app.figure_panel(
                f"ambitie_{position}", titles[position], app.figure(charts.ambition_figure, realised, row), one,
                definition=ctx.definition(row["metric"]),
                notes=[f"Status: {STATUS_LABELS[row['status']]}. " + ambitions.STATUS_RULE_NL],
                file_stem=f"ambitie-{position + 1}",
            )

        one_ambition()

if app.role().manages:  # editing is the beheerder's (sign-in and roles: app_support.gate)
    editor = st.expander("Ambities bewerken", icon=":material/edit:", key="ambities_bewerken", on_change="rerun")
    if editor.open:  # the editor is drawn only when opened: most visits never edit
        with editor:
            st.caption(f"Het ambitiebestand van de regio ({targets_path.name}). Waarden in procenten (27 of 27,5); schooljaren als 2020-2021; "
                       "een lege nulmetingswaarde wordt uit de gegevens berekend. Bij opslaan blijft de vorige versie bewaard als .bak.")
            edited = st.data_editor(
                targets, num_rows="dynamic", hide_index=True, key="ambities_editor",
                column_config={
                    "metric": st.column_config.SelectboxColumn("Indicator", options=list(registry.ambition_metrics()), required=True),
                    "scope": st.column_config.TextColumn("Regio of school", help="'regio' of een vestigingscode zoals 31XA00"),
                    "split": st.column_config.TextColumn("Groep", help="leeg, geslacht=V, leerweg=BB, herkomst=techniek of herkomst=overig"),
                    "baseline_year": st.column_config.TextColumn("Nulmetingsjaar"),
                    "baseline_value": st.column_config.TextColumn("Nulmeting (%)"),
                    "target_year": st.column_config.TextColumn("Doeljaar"),
                    "target_value": st.column_config.TextColumn("Streefwaarde (%)"),
                    "note": st.column_config.TextColumn("Toelichting"),
                },
            )
            # The file as this session began editing it: a save over someone else's newer save is refused, never silent.
            basis = st.session_state.setdefault("ambities_basis", file_digest(targets_path))
            if st.button("Ambities opslaan", key="ambities_save", icon=":material/save:"):
                with app.cursor() as cur:
                    known = ambitions.known_schools(cur)
                if file_digest(targets_path) != basis:
                    errors = ["Iemand anders heeft de ambities intussen opgeslagen. Niets opgeslagen: herlaad de pagina om de nieuwe versie te zien "
                              "en breng je wijziging daarin opnieuw aan."]
                    st.session_state.pop("ambities_basis", None)
                else:
                    errors = ambitions.save_targets(pd.DataFrame(edited), known, targets_path)
                if errors:
                    st.error("Niet opgeslagen; het bestand is ongewijzigd.\n\n" + "\n\n".join(app.md_escape(e) for e in errors), icon=":material/error:")
                else:
                    st.session_state["ambities_basis"] = file_digest(targets_path)
                    with app.writing() as con:
                        audit.record(con, app.who(), audit.AMBITIONS, targets_path.name, changed_rows(targets, pd.DataFrame(edited)))
                    evaluated.clear()
                    st.success("Opgeslagen. De vorige versie staat in " + app.md_escape(targets_path.name + ".bak") + ".", icon=":material/check:")
