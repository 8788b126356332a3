"""Display tables and figures of the activities figures (reach, activity effect), from display-safe tables only."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sto_metrics import schoolyear
from sto_metrics.presentation import charts
from sto_metrics.presentation import formatting as fmt

CAPPED_MARK = "*"
CAPPED_NOTE = "* Meer deelnemers dan ingeschreven leerlingen (bijvoorbeeld wie twee keer meedeed): het bereik staat op 100%."
GROUP_LABELS = {"deelnemers": "Deelnemers", "niet-deelnemers": "Niet-deelnemers"}


def activity_type_labels(kinds: dict[str, str], codes) -> dict[str, str]:
    """code -> Dutch name of each activity kind present (the reference table's name, else the code)."""
    return {code: kinds.get(code, str(code)) for code in dict.fromkeys(codes)}


def _capped(row) -> bool:
    participants, enrolled = fmt.numeric(row["participants"]), fmt.numeric(row["enrolled"])
    return participants is not None and enrolled is not None and participants > enrolled


def reach_share_text(row) -> str:
    """'23,5%', or '100,0%*' where the head count exceeded the enrolment, or '–'."""
    text = fmt.percent(row["reach_share"], 0)
    return text + CAPPED_MARK if text != fmt.HIDDEN and _capped(row) else text


def reach_display(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The reach table as shown (Dutch headers, formatted cells)."""
    return pd.DataFrame({
        "Schooljaar": [fmt.school_year(v) for v in table["school_year"]],
        "School": table["scope_name"].astype(str).to_list(),
        "Soort activiteit": [labels.get(v, v) for v in table["activity_type"]],
        "Activiteiten": [fmt.count(v) for v in table["activities"]],
        "Deelnemers": [fmt.count(v) for v in table["participants"]],
        "Meisjes": [fmt.count(v) for v in table["girls"]],
        "Ingeschreven leerlingen": ["" if row["scope"] == "regio" else fmt.count(row["enrolled"]) for _, row in table.iterrows()],
        "Bereik": [reach_share_text(row) for _, row in table.iterrows()],
    })


def reach_heatmap(table: pd.DataFrame, *, title: str | None = None, height: int = 420) -> go.Figure:
    """Reach share of one activity kind, schools (rows) x school years (columns); hidden cells stay empty."""
    figure = go.Figure()
    schools = table[table["scope"] != "regio"]
    if schools.empty:
        return charts._empty(figure, title, height)
    years = sorted(schools["school_year"].unique(), key=schoolyear.start)
    names = sorted(schools["scope_name"].astype(str).unique())
    z = [[None] * len(years) for _ in names]
    text = [[""] * len(years) for _ in names]
    for _, row in schools.iterrows():
        i, j = names.index(str(row["scope_name"])), years.index(row["school_year"])
        z[i][j] = fmt.numeric(row["reach_share"])
        text[i][j] = reach_share_text(row)
    hover = [[f"{charts.escape(name)} · {year}<br>bereik {text[i][j] or fmt.HIDDEN}" for j, year in enumerate(years)]
             for i, name in enumerate(names)]
    figure.add_trace(go.Heatmap(
        z=z, x=years, y=[charts.escape(n) for n in names], text=text, texttemplate="%{text}", customdata=hover,
        hovertemplate="%{customdata}<extra></extra>", zmin=0, zmax=1, colorscale="Blues", xgap=2, ygap=2,
        colorbar={"title": {"text": "bereik"}, "tickformat": ".0%"},
    ))
    layout = charts._base_layout(title, height=max(height, 60 + 34 * len(names)))
    layout["yaxis"] |= {"type": "category", "autorange": "reversed", "gridcolor": "white"}
    figure.update_layout(**layout)
    return figure


def girls_input(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Participants and girls per school year and kind, summed over the rows whose counts are shown."""
    rows = []
    for (year, kind), group in table.groupby(["school_year", "activity_type"], sort=True):
        shown = group[[isinstance(p, int) and isinstance(g, int) for p, g in zip(group["participants"], group["girls"], strict=True)]]
        rows.append({"school_year": year, "kind": labels.get(kind, kind), "participants": int(shown["participants"].sum()),
                     "girls": int(shown["girls"].sum())})
    return pd.DataFrame(rows, columns=["school_year", "kind", "participants", "girls"])


def girls_figure(frame: pd.DataFrame, *, title: str | None = None, height: int = 380) -> go.Figure:
    """Girls reached per school year, a bar per activity kind."""
    figure = go.Figure()
    if frame.empty:
        return charts._empty(figure, title, height)
    for kind in dict.fromkeys(frame["kind"]):
        rows = frame[frame["kind"] == kind]
        hover = [f"{year} · {charts.escape(kind)}<br>{fmt.count(g)} meisjes van {fmt.count(p)} deelnemers"
                 for year, g, p in zip(rows["school_year"], rows["girls"], rows["participants"], strict=True)]
        figure.add_trace(go.Bar(x=list(rows["school_year"]), y=list(rows["girls"]), name=charts.escape(kind), customdata=hover,
                                hovertemplate="%{customdata}<extra></extra>"))
    layout = charts._base_layout(title, height=height)
    layout["yaxis"] |= {"title": {"text": "meisjes", "standoff": 8}}
    figure.update_layout(barmode="stack", **layout)
    return figure


def girls_display(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Schooljaar": list(frame["school_year"]), "Soort activiteit": list(frame["kind"]),
        "Deelnemers": [fmt.count(v) for v in frame["participants"]], "Meisjes": [fmt.count(v) for v in frame["girls"]],
        "Aandeel meisjes": [fmt.percent(g / p) if p else fmt.HIDDEN for g, p in zip(frame["girls"], frame["participants"], strict=True)],
    })


def effect_chart_input(table: pd.DataFrame) -> pd.DataFrame:
    """The activity-effect rows of one scope as trend_figure input: a series per group."""
    return pd.DataFrame({
        "school_year": table["school_year"].to_list(), "series": [GROUP_LABELS[g] for g in table["group"]],
        "share": table["share"].to_list(), "ci_low": table["ci_low"].to_list(), "ci_high": table["ci_high"].to_list(),
        "numerator": table["technical"].to_list(), "denominator": table["pupils"].to_list(),
    })


def effect_display(table: pd.DataFrame, difference: pd.DataFrame) -> pd.DataFrame:
    """Per school year and scope: both groups' shares with intervals, and the difference with its interval."""
    rows = []
    for (year, scope), group in table.groupby(["school_year", "scope"], sort=False):
        by_group = {row["group"]: row for _, row in group.iterrows()}
        took_part, others = by_group.get("deelnemers"), by_group.get("niet-deelnemers")
        found = difference[(difference["school_year"] == year) & (difference["scope"] == scope)]
        diff = found.iloc[0] if len(found) else None
        rows.append({
            "Schooljaar": year, "School": str(group["scope_name"].iloc[0]),
            "Deelnemers": fmt.count(took_part["pupils"]) if took_part is not None else fmt.HIDDEN,
            "Deelnemers techniek": fmt.percent(took_part["share"]) if took_part is not None else fmt.HIDDEN,
            "95%-interval deelnemers": fmt.interval(took_part["ci_low"], took_part["ci_high"]) if took_part is not None else fmt.HIDDEN,
            "Niet-deelnemers": fmt.count(others["pupils"]) if others is not None else fmt.HIDDEN,
            "Niet-deelnemers techniek": fmt.percent(others["share"]) if others is not None else fmt.HIDDEN,
            "95%-interval niet-deelnemers": fmt.interval(others["ci_low"], others["ci_high"]) if others is not None else fmt.HIDDEN,
            "Verschil": (fmt.points(diff["difference"]) or fmt.HIDDEN) if diff is not None else fmt.HIDDEN,
            "95%-interval verschil": points_interval(diff) if diff is not None else fmt.HIDDEN,
        })
    return pd.DataFrame(rows)


def points_interval(diff) -> str:
    if fmt.is_missing(diff["diff_low"]) or fmt.is_missing(diff["diff_high"]):
        return fmt.HIDDEN
    return f"{fmt.number(diff['diff_low'] * 100, 1)} tot {fmt.number(diff['diff_high'] * 100, 1)} procentpunt"


def difference_sentence(difference: pd.DataFrame) -> str | None:
    """The latest shown difference in words, or None."""
    shown = difference.dropna(subset=["difference", "diff_low", "diff_high"])
    if shown.empty:
        return None
    latest = shown.sort_values("school_year", key=lambda s: s.map(schoolyear.start)).iloc[-1]
    return (f"In {latest['school_year']} kozen deelnemers {fmt.points(latest['difference'])} vaker voor een technisch profiel dan "
            f"niet-deelnemers (95%-interval {points_interval(latest)}).")


def start_years(reach: pd.DataFrame) -> dict[str, int]:
    """School -> the first school year (start year) with an activity at that school, from the reach table."""
    schools = reach[reach["scope"] != "regio"]
    return {scope: min(schoolyear.start(y) for y in group["school_year"]) for scope, group in schools.groupby("scope")}


def before_after_input(inflow: pd.DataFrame, start_years: dict[str, int]) -> pd.DataFrame:
    """Each school's inflow share by school year, labelled by when it started an activity ('nog niet' when it did not)."""
    schools = inflow[inflow["scope"] != "regio"]
    return pd.DataFrame({
        "school_year": schools["school_year"].to_list(),
        "series": [f"{name} (start {fmt.school_year(start_years[scope])})" if scope in start_years else f"{name} (geen activiteit)"
                   for scope, name in zip(schools["scope"], schools["scope_name"], strict=True)],
        "share": schools["share"].to_list(), "ci_low": schools["ci_low"].to_list(), "ci_high": schools["ci_high"].to_list(),
        "numerator": schools["technical"].to_list(), "denominator": schools["pupils"].to_list(),
        "started": [scope in start_years for scope in schools["scope"]],
        "start": [start_years.get(scope) for scope in schools["scope"]],
    })


def before_after_figure(frame: pd.DataFrame, *, title: str | None = None, height: int = 420) -> go.Figure:
    """Inflow per school: schools that started an activity in colour with their start year marked, the others grey."""
    figure = go.Figure()
    if frame.empty:
        return charts._empty(figure, title, height)
    years = sorted(frame["school_year"].unique(), key=schoolyear.start)
    started = [name for name in dict.fromkeys(frame.loc[frame["started"], "series"])]
    colors = {name: charts.COLORWAY[i % len(charts.COLORWAY)] for i, name in enumerate(started)}
    for name in dict.fromkeys(frame["series"]):
        rows = frame[frame["series"] == name].sort_values("school_year", key=lambda s: s.map(schoolyear.start))
        color = colors.get(name, charts.OKABE_ITO["grey"])
        hover = [charts.share_hover(row, name) for _, row in rows.iterrows()]
        figure.add_trace(go.Scatter(
            x=list(rows["school_year"]), y=[fmt.numeric(v) for v in rows["share"]], mode="lines+markers", name=charts.escape(name),
            line={"color": color, "width": 2, "dash": "solid" if name in colors else "dot"}, customdata=hover,
            hovertemplate="%{customdata}<extra></extra>", connectgaps=False,
        ))
        start = rows["start"].iloc[0]
        if name in colors and start is not None and not pd.isna(start):
            at_start = rows[rows["school_year"] == fmt.school_year(int(start))]
            if len(at_start) and fmt.numeric(at_start["share"].iloc[0]) is not None:
                figure.add_trace(go.Scatter(x=[at_start["school_year"].iloc[0]], y=[fmt.numeric(at_start["share"].iloc[0])],
                                            mode="markers", marker={"symbol": "star", "size": 14, "color": color},
                                            showlegend=False, hoverinfo="skip"))
    layout = charts._base_layout(title, height=height)
    layout["yaxis"] |= charts._share_axis()
    layout["xaxis"] |= {"categoryorder": "array", "categoryarray": years}
    figure.update_layout(**layout)
    return figure


def before_after_display(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Schooljaar": list(frame["school_year"]), "School": list(frame["series"]),
        "Leerlingen": [fmt.count(v) for v in frame["denominator"]], "Technisch": [fmt.count(v) for v in frame["numerator"]],
        "Aandeel techniek": [fmt.percent(v) for v in frame["share"]],
        "95%-interval": [fmt.interval(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)],
    })


PARTICIPATION_SERIES = "Deed eerder mee"
PARTICIPATION_NOTE = ("Telt de leerlingen in leerjaar 3 van het vmbo met een bekend profiel (dezelfde leerlingen als in de "
                      "vergelijking hierboven) die op de deelnemerslijst stonden van een activiteit in een eerder schooljaar. "
                      "Wie niet op een lijst staat, telt als niet meegedaan; scholen zonder deelnemerslijsten hebben dus een laag aandeel.")


def participation_chart_input(frame: pd.DataFrame) -> pd.DataFrame:
    """The cohort participation rows of one scope as trend_figure input (one series)."""
    return pd.DataFrame({
        "school_year": frame["school_year"].to_list(), "series": [PARTICIPATION_SERIES] * len(frame),
        "share": frame["share"].to_list(), "ci_low": frame["ci_low"].to_list(), "ci_high": frame["ci_high"].to_list(),
        "numerator": frame["took_part"].to_list(), "denominator": frame["pupils"].to_list(),
    })


def participation_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Per school year and scope: the leerjaar-3 cohort, those who took part before, the share and its interval."""
    return pd.DataFrame({
        "Schooljaar": list(frame["school_year"]), "School": [str(v) for v in frame["scope_name"]],
        "Leerlingen in leerjaar 3": [fmt.count(v) for v in frame["pupils"]],
        "Eerder meegedaan": [fmt.count(v) for v in frame["took_part"]],
        "Aandeel eerder meegedaan": [fmt.percent(v) for v in frame["share"]],
        "95%-interval aandeel": [fmt.interval(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)],
    })


def participation_sentence(frame: pd.DataFrame, phrase: str = "") -> str | None:
    """The latest shown cohort participation in words ('In 2024-2025 had 38,0% ...'), or None."""
    shown = frame.dropna(subset=["share", "ci_low", "ci_high"])
    if shown.empty:
        return None
    latest = shown.sort_values("school_year", key=lambda s: s.map(schoolyear.start)).iloc[-1]
    where = f" {phrase}" if phrase else ""
    return (f"In {fmt.school_year(latest['school_year'])} had {fmt.percent(latest['share'])} van de vmbo-leerlingen in leerjaar 3{where} "
            f"(met een bekend profiel) in een eerder schooljaar aan een activiteit meegedaan "
            f"({fmt.count(latest['took_part'])} van {fmt.count(latest['pupils'])}; 95%-interval "
            f"{fmt.interval(latest['ci_low'], latest['ci_high'])}).")


def reached_display(table: pd.DataFrame) -> pd.DataFrame:
    """Distinct pupils reached per school year and school, as shown."""
    return pd.DataFrame({
        "Schooljaar": list(table["school_year"]), "School": [str(v) for v in table["scope_name"]],
        "Bereikte leerlingen": [fmt.count(v) for v in table["pupils_reached"]],
    })


def reached_figure(table: pd.DataFrame, *, title: str | None = None, height: int = 380) -> go.Figure:
    """Distinct pupils reached per school year, a bar per school (hidden counts drawn as no bar)."""
    figure = go.Figure()
    if table.empty:
        return charts._empty(figure, title, height)
    for name in dict.fromkeys(table["scope_name"].astype(str)):
        rows = table[table["scope_name"].astype(str) == name]
        hover = [f"{charts.escape(name)} · {year}<br>{fmt.count(v)} bereikte leerlingen"
                 for year, v in zip(rows["school_year"], rows["pupils_reached"], strict=True)]
        figure.add_trace(go.Bar(x=list(rows["school_year"]), y=[fmt.numeric(v) for v in rows["pupils_reached"]],
                                name=charts.escape(name), customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    layout = charts._base_layout(title, height=height)
    layout["yaxis"] |= {"title": {"text": "leerlingen", "standoff": 8}}
    figure.update_layout(barmode="group", **layout)
    return figure
