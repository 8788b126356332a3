"""Plotly figures in one colour-blind-safe house style (Okabe-Ito), for pages and reports.

Every builder takes a display-safe table (after privacy.suppress): counts may be '<5',
hidden shares are None. Hover texts are built from the same formatted cells the table
view shows, so a chart never reveals more than its table. Text that came from users
(school names) is escaped, since Plotly renders a subset of HTML in labels.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sto_metrics.presentation import formatting as fmt

# Okabe & Ito (2008), "Color Universal Design"; black first for the region.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
COLORWAY = [OKABE_ITO[name] for name in ("blue", "orange", "bluish_green", "vermillion", "sky_blue", "reddish_purple", "yellow")]
REGION_COLOR = OKABE_ITO["black"]
DESTINATION_COLORS = {
    "ho_techniek": OKABE_ITO["blue"],
    "mbo_techniek": OKABE_ITO["sky_blue"],
    "ho_overig": OKABE_ITO["vermillion"],
    "mbo_overig": OKABE_ITO["orange"],
    "vo": OKABE_ITO["reddish_purple"],
    "niet_gevonden": OKABE_ITO["grey"],
}
# No web fonts: the browser's own sans-serif (Streamlit bundles Source Sans itself).
FONT_FAMILY = '"Source Sans", "Source Sans Pro", "Segoe UI", Roboto, Arial, sans-serif'

# For st.plotly_chart(config=...): no Plotly logo link, no cloud buttons; PNG export stays.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def escape(text: object) -> str:
    """User-supplied text made inert for Plotly's HTML-like labels."""
    return html.escape(str(text), quote=True)


def _base_layout(title: str | None, *, height: int = 380) -> dict:
    return {
        "template": "none",  # Plotly's default theme is most of a small figure's JSON; the house style below is all we use
        "title": {"text": escape(title) if title else None, "font": {"size": 16}, "x": 0, "xanchor": "left"},
        "font": {"family": FONT_FAMILY, "size": 13, "color": "#262730"},
        "colorway": COLORWAY,
        "separators": ",.",  # Dutch: decimal comma, thousands dot
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "height": height,
        "margin": {"l": 70, "r": 20, "t": 50 if title else 20, "b": 20},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "xaxis": {"showgrid": False, "linecolor": "#BBBBBB", "ticks": "outside", "type": "category", "automargin": True},
        "yaxis": {"gridcolor": "#E5E5E5", "zeroline": False, "automargin": True},
    }


def _share_axis(max_share: float | None = None) -> dict:
    top = 1.0 if max_share is None else min(1.0, max(0.1, max_share * 1.15))
    return {"tickformat": ".0%", "range": [0, top], "title": {"text": "aandeel", "standoff": 8}}


def _rgba(hex_color: str, alpha: float) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def series_colors(names: Sequence[str], region_names: Sequence[str] = ("Regio",)) -> dict[str, str]:
    """A stable colour per series: black for the region, the palette for the rest in order."""
    colors: dict[str, str] = {}
    others = [name for name in names if name not in region_names]
    for name in names:
        colors[name] = REGION_COLOR if name in region_names else COLORWAY[others.index(name) % len(COLORWAY)]
    return colors


def share_hover(row: pd.Series, series: str | None = None) -> str:
    """'2023-2024 · Regio<br>27,3% (95%-interval 24,1% – 30,6%)<br>68 van 249 leerlingen'."""
    head = fmt.school_year(row["school_year"]) + (f" · {escape(series)}" if series else "")
    share = fmt.percent(row.get("share"))
    lines = [head, f"{share} (95%-interval {fmt.interval(row.get('ci_low'), row.get('ci_high'))})" if share != fmt.HIDDEN else
             f"{fmt.HIDDEN} (te weinig leerlingen om te tonen)"]
    if "numerator" in row and "denominator" in row:
        lines.append(f"{fmt.count(row['numerator'])} van {fmt.count(row['denominator'])} leerlingen")
    return "<br>".join(lines)


def trend_figure(table: pd.DataFrame, *, title: str | None = None, series_column: str = "series",
                 bands: bool = True, region_names: Sequence[str] = ("Regio",), height: int = 380) -> go.Figure:
    """Share per school year, one line per series, with a shaded 95% Wilson band.

    `table` columns: school_year, series, share, ci_low, ci_high and optionally numerator,
    denominator (display-safe). Hidden shares leave a gap in the line.
    """
    figure = go.Figure()
    if table.empty:
        return _empty(figure, title, height)
    names = list(dict.fromkeys(table[series_column].astype(str)))
    colors = series_colors(names, region_names)
    years = [fmt.school_year(y) for y in sorted(table["school_year"].unique())]
    for name in names:
        rows = table[table[series_column].astype(str) == name].sort_values("school_year")
        x = [fmt.school_year(y) for y in rows["school_year"]]
        share = [fmt.numeric(v) for v in rows["share"]]
        low = [fmt.numeric(v) for v in rows["ci_low"]]
        high = [fmt.numeric(v) for v in rows["ci_high"]]
        color = colors[name]
        if bands:
            # Upper then lower bound, filled between: the Wilson interval.
            figure.add_trace(go.Scatter(x=x, y=high, mode="lines", line={"width": 0}, hoverinfo="skip",
                                        showlegend=False, legendgroup=name, connectgaps=False))
            figure.add_trace(go.Scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty",
                                        fillcolor=_rgba(color, 0.15), hoverinfo="skip", showlegend=False,
                                        legendgroup=name, connectgaps=False))
        hover = [share_hover(row, name) for _, row in rows.iterrows()]
        figure.add_trace(go.Scatter(
            x=x, y=share, mode="lines+markers", name=escape(name), legendgroup=name,
            line={"color": color, "width": 3 if color == REGION_COLOR else 2},
            marker={"size": 7}, customdata=hover, hovertemplate="%{customdata}<extra></extra>", connectgaps=False,
        ))
    highs = [fmt.numeric(v) for v in table["ci_high"]] + [fmt.numeric(v) for v in table["share"]]
    layout = _base_layout(title, height=height)
    layout["yaxis"] |= _share_axis(max((v for v in highs if v is not None), default=None))
    layout["xaxis"] |= {"categoryorder": "array", "categoryarray": years}
    figure.update_layout(**layout)
    return figure


def small_multiples_figure(table: pd.DataFrame, *, reference: pd.DataFrame | None = None, title: str | None = None,
                           columns: int = 3, series_column: str = "series") -> go.Figure:
    """One small trend chart per series (school), each with its 95% band, and the reference
    (the region) as a grey dashed line in every panel for comparison.

    `table` and `reference`: the columns of trend_figure (display-safe).
    """
    from plotly.subplots import make_subplots

    if table.empty:
        return _empty(go.Figure(), title, 300)
    names = list(dict.fromkeys(table[series_column].astype(str)))
    rows = -(-len(names) // columns)
    years = sorted({fmt.school_year(y) for y in table["school_year"]} | (set(map(fmt.school_year, reference["school_year"]))
                                                                        if reference is not None else set()))
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=[escape(name) for name in names], shared_yaxes=True,
                           horizontal_spacing=0.04, vertical_spacing=0.5 / max(rows, 1) if rows > 1 else 0.1)
    highs = [fmt.numeric(v) for v in table["ci_high"]]
    top = min(1.0, max(0.1, max((v for v in highs if v is not None), default=0.5) * 1.1))
    for i, name in enumerate(names):
        row, col = divmod(i, columns)
        part = table[table[series_column].astype(str) == name].sort_values("school_year")
        x = [fmt.school_year(y) for y in part["school_year"]]
        color = COLORWAY[0]
        if reference is not None and not reference.empty:
            ref = reference.sort_values("school_year")
            figure.add_trace(go.Scatter(
                x=[fmt.school_year(y) for y in ref["school_year"]], y=[fmt.numeric(v) for v in ref["share"]], mode="lines",
                line={"color": OKABE_ITO["grey"], "dash": "dash", "width": 1.5}, name=escape(str(ref[series_column].iloc[0])),
                showlegend=i == 0, legendgroup="reference", customdata=[share_hover(r, str(r[series_column])) for _, r in ref.iterrows()],
                hovertemplate="%{customdata}<extra></extra>"), row=row + 1, col=col + 1)
        figure.add_trace(go.Scatter(x=x, y=[fmt.numeric(v) for v in part["ci_high"]], mode="lines", line={"width": 0}, hoverinfo="skip",
                                    showlegend=False), row=row + 1, col=col + 1)
        figure.add_trace(go.Scatter(x=x, y=[fmt.numeric(v) for v in part["ci_low"]], mode="lines", line={"width": 0}, fill="tonexty",
                                    fillcolor=_rgba(color, 0.18), hoverinfo="skip", showlegend=False), row=row + 1, col=col + 1)
        figure.add_trace(go.Scatter(
            x=x, y=[fmt.numeric(v) for v in part["share"]], mode="lines+markers", line={"color": color, "width": 2}, marker={"size": 5},
            name=escape(name), showlegend=False, customdata=[share_hover(r, name) for _, r in part.iterrows()],
            hovertemplate="%{customdata}<extra></extra>"), row=row + 1, col=col + 1)
    layout = _base_layout(title, height=80 + 230 * rows)
    layout.pop("xaxis")
    layout.pop("yaxis")
    layout["legend"] = {"orientation": "h", "yanchor": "bottom", "y": 1.0 + 0.12 / rows, "x": 0}
    figure.update_layout(**layout)
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=years, showgrid=False, linecolor="#BBBBBB",
                        tickangle=-45, tickfont={"size": 10})
    figure.update_yaxes(tickformat=".0%", range=[0, top], gridcolor="#E5E5E5", zeroline=False)
    figure.update_annotations(font={"size": 13})
    return figure


def compare_figure(table: pd.DataFrame, *, title: str | None = None, label_column: str = "series",
                   region_label: str = "Regio", height: int | None = None) -> go.Figure:
    """One year, schools side by side: a dot per school with its 95% interval as error bar.

    `table` columns: label_column, school_year, share, ci_low, ci_high, numerator, denominator.
    Schools whose share is hidden are listed with '–' and no dot.
    """
    figure = go.Figure()
    rows = table.copy()
    if rows.empty:
        return _empty(figure, title, height or 300)
    # floats with NaN for what is hidden: a column of None only (every share hidden) would be of objects, and fail below
    for column, source in (("_share", "share"), ("_low", "ci_low"), ("_high", "ci_high")):
        rows[column] = np.array([fmt.numeric(v) for v in rows[source]], dtype=float)
    rows = rows.sort_values("_share", na_position="first")
    labels = [escape(label) + ("" if share == share else f" ({fmt.HIDDEN})") for label, share in zip(rows[label_column], rows["_share"],
                                                                                                   strict=True)]
    colors = [REGION_COLOR if str(label) == region_label else OKABE_ITO["blue"] for label in rows[label_column]]
    hover = [share_hover(row, str(row[label_column])) for _, row in rows.iterrows()]
    figure.add_trace(go.Scatter(
        x=rows["_share"], y=labels, mode="markers",
        marker={"size": 11, "color": colors, "symbol": ["diamond" if c == REGION_COLOR else "circle" for c in colors]},
        error_x={"type": "data", "symmetric": False, "array": (rows["_high"] - rows["_share"]).tolist(),
                 "arrayminus": (rows["_share"] - rows["_low"]).tolist(), "color": "#777777", "thickness": 1.5},
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", showlegend=False,
    ))
    layout = _base_layout(title, height=height or max(260, 60 + 36 * len(rows)))
    layout["xaxis"] = {"tickformat": ".0%", "gridcolor": "#E5E5E5", "range": [0, min(1.0, (rows["_high"].max() if rows["_high"].notna().any() else 0.5) * 1.1)],
                       "title": {"text": "aandeel (met 95%-interval)", "standoff": 12}, "automargin": True}
    layout["yaxis"] = {"type": "category", "automargin": True}
    figure.update_layout(**layout)
    return figure


def destinations_figure(table: pd.DataFrame, *, title: str | None = None, height: int = 400) -> go.Figure:
    """Stacked bars per diploma year: where the graduates went, as a share of the cohort.

    `table` columns: school_year, graduates and one column per destination (display-safe).
    A destination count shown as '<5' is not drawn (its share would reveal it) but is named
    in the hover text; a cohort below the share threshold has a hidden share and is not drawn.
    """
    figure = go.Figure()
    if table.empty:
        return _empty(figure, title, height)
    rows = table.sort_values("school_year")
    x = [fmt.school_year(y) for y in rows["school_year"]]
    for destination, label in fmt.DESTINATION_LABELS.items():
        if destination not in rows:
            continue
        share_column = f"{destination}_share"
        values = [fmt.numeric(v) for v in rows[share_column]] if share_column in rows else [None] * len(rows)
        hover = [
            f"{fmt.school_year(row['school_year'])} · {label}<br>{fmt.count(row[destination])} van {fmt.count(row['graduates'])} "
            f"gediplomeerden ({fmt.percent(row.get(share_column))})"
            for _, row in rows.iterrows()
        ]
        figure.add_trace(go.Bar(x=x, y=values, name=label, marker_color=DESTINATION_COLORS[destination],
                                customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    layout = _base_layout(title, height=height)
    layout["barmode"] = "stack"
    layout["yaxis"] |= {"tickformat": ".0%", "range": [0, 1], "title": {"text": "aandeel van de gediplomeerden"}}
    figure.update_layout(**layout)
    return figure


def _flow_node_color(node: str) -> str:
    if node == "start":
        return OKABE_ITO["black"]
    if node.endswith("techniek"):
        return OKABE_ITO["blue"]
    if node.endswith("overig"):
        return OKABE_ITO["orange"]
    return OKABE_ITO["grey"]


def _stage_positions(stages: pd.Series) -> list[float]:
    """Nodes of one stage spread evenly from top to bottom, in table order."""
    counts = stages.value_counts().to_dict()
    seen: dict[int, int] = {}
    positions = []
    for stage in stages:
        k = seen.get(stage, 0)
        seen[stage] = k + 1
        positions.append(0.01 + 0.98 * (k + 0.5) / counts[stage])
    return positions


def sankey_figure(nodes: pd.DataFrame, links: pd.DataFrame, *, title: str | None = None, height: int = 480) -> go.Figure:
    """The cohort flow from display-safe tables: nodes (node, stage, label, pupils) and links (source, target, pupils).

    Links shown as '<5' are not drawn (their width would reveal them); the table view lists them.
    Node hover texts show the node's own (suppressed) count, not a sum of drawn links.
    """
    figure = go.Figure()
    if nodes.empty or links.empty:
        return _empty(figure, title, height)
    index = {node: i for i, node in enumerate(nodes["node"])}
    labels = [escape(label) for label in nodes["label"]]
    colors = [_flow_node_color(str(node)) for node in nodes["node"]]
    node_hover = [f"{label}<br>{fmt.count(pupils)} leerlingen" for label, pupils in zip(labels, nodes["pupils"], strict=True)]
    drawn = links[[(fmt.numeric(v) or 0) > 0 for v in links["pupils"]]]
    link_hover = [f"{labels[index[row['source']]]} → {labels[index[row['target']]]}<br>{fmt.count(row['pupils'])} leerlingen"
                  for _, row in drawn.iterrows()]
    # Stages left to right at fixed x so that a missing stage does not shift the others.
    stage_x = {0: 0.01, 1: 0.34, 2: 0.67, 3: 0.99}
    figure.add_trace(go.Sankey(
        arrangement="snap",
        node={"label": labels, "color": colors, "pad": 18, "thickness": 16, "line": {"width": 0},
              "x": [stage_x.get(int(stage), 0.5) for stage in nodes["stage"]],
              "y": _stage_positions(nodes["stage"]),
              "customdata": node_hover, "hovertemplate": "%{customdata}<extra></extra>"},
        link={"source": [index[s] for s in drawn["source"]], "target": [index[t] for t in drawn["target"]],
              "value": [fmt.numeric(v) for v in drawn["pupils"]],
              "color": [_rgba(colors[index[t]], 0.35) for t in drawn["target"]],
              "customdata": link_hover, "hovertemplate": "%{customdata}<extra></extra>"},
    ))
    figure.update_layout(**{k: v for k, v in _base_layout(title, height=height).items() if k not in {"xaxis", "yaxis"}})
    return figure


def _empty(figure: go.Figure, title: str | None, height: int) -> go.Figure:
    layout = _base_layout(title, height=height)
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    layout["annotations"] = [{"text": "Geen gegevens voor deze selectie", "showarrow": False, "font": {"size": 14, "color": "#777777"},
                              "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}]
    figure.update_layout(**layout)
    return figure


def ambition_figure(series: pd.DataFrame, ambition: pd.Series, *, title: str | None = None, height: int = 340) -> go.Figure:
    """Realised share with its 95% band, the straight trajectory from baseline to target, and the target point.

    `series`: year, share, ci_low, ci_high (published, hidden shares None); `ambition`: a row of
    ambitions.evaluate (baseline_year/target_year as '2020-2021', values as fractions).
    """
    baseline_year, target_year = int(str(ambition["baseline_year"])[:4]), int(str(ambition["target_year"])[:4])
    realised = series.assign(school_year=series["year"], series="Gerealiseerd")
    figure = trend_figure(realised, title=title, region_names=("Gerealiseerd",), height=height)
    first = min([baseline_year, *series["year"].tolist()])
    last = max([target_year, *series["year"].tolist()])
    years = [fmt.school_year(y) for y in range(first, last + 1)]
    baseline = fmt.numeric(ambition["baseline_value"])
    target = fmt.numeric(ambition["target_value"])
    if baseline is not None:
        figure.add_trace(go.Scatter(
            x=[fmt.school_year(baseline_year), fmt.school_year(target_year)], y=[baseline, target], mode="lines",
            name="Koers naar het doel", line={"color": OKABE_ITO["orange"], "width": 2, "dash": "dash"},
            hovertemplate="Koers: %{y:.1%}<extra></extra>",
        ))
    figure.add_trace(go.Scatter(
        x=[fmt.school_year(target_year)], y=[target], mode="markers", name="Streefwaarde",
        marker={"symbol": "star", "size": 14, "color": OKABE_ITO["vermillion"]},
        hovertext=[f"Streefwaarde {fmt.percent(target)} in {fmt.school_year(target_year)}"], hoverinfo="text",
    ))
    values = [v for v in [baseline, target, *(fmt.numeric(x) for x in series["ci_high"])] if v is not None]
    # Up to a dozen school years side by side: '2017-18' keeps the labels readable.
    figure.update_layout(xaxis={"categoryorder": "array", "categoryarray": years, "type": "category",
                                "tickmode": "array", "tickvals": years, "ticktext": [f"{y[:4]}-{y[-2:]}" for y in years]},
                         yaxis=_share_axis(max(values, default=None)))
    return figure
