"""Report charts as PNG images (matplotlib, Agg canvas, no pyplot state), for the .html and .docx reports.

Each chart is drawn only from the cells of the table it sits beside (a `report.Chart` points at
table columns), so it never shows more than the table: hidden shares leave a gap, a '<5' count
is never drawn. Colours are the Okabe-Ito palette of the dashboard (charts.py); text uses
matplotlib's bundled DejaVu Sans, so nothing is fetched at run time.
"""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sto_metrics.presentation import formatting as fmt

# Okabe & Ito (2008), as in charts.py: the region black, then blue, orange, green, ...
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#999999"]
DESTINATION_PALETTE = ["#0072B2", "#D55E00", "#56B4E9", "#E69F00", "#CC79A7", "#999999"]  # ho tech, ho overig, mbo tech, mbo overig, vo, niet gevonden
FONT = {"family": "DejaVu Sans", "size": 9}
WIDTH_INCH, HEIGHT_INCH, DPI = 7.0, 3.4, 200


def _plain(text: object) -> str:
    """User text made literal for matplotlib: '$' would start mathtext."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def _percent_axis(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _: fmt.percent(value, 0)))


def _value(cell: object) -> float:
    number = fmt.numeric(cell)
    return math.nan if number is None else number


def _style(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.8)
    ax.set_axisbelow(True)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def chart_png(chart, table) -> bytes:
    """The PNG bytes of a report chart drawn from its table's cells."""
    figure = Figure(figsize=(WIDTH_INCH, HEIGHT_INCH))
    ax = figure.add_subplot(1, 1, 1)
    with_font = {"fontfamily": FONT["family"]}
    ax.set_title(_plain(chart.title), loc="left", fontsize=11, **with_font)
    if chart.kind == "trend":
        _trend(ax, chart, table)
    elif chart.kind == "stacked":
        _stacked(ax, chart, table)
    else:
        _bars(ax, chart, table)
    for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        label.set_fontfamily(FONT["family"])
        label.set_fontsize(FONT["size"])
    _style(ax)
    return _png(figure)


def _categories(chart, table) -> list[str]:
    seen: dict[str, None] = {}
    for series in chart.series:
        for row in table.rows[series.rows[0]:series.rows[1]]:
            seen.setdefault(str(row[chart.category_column]), None)
    return sorted(seen) if chart.kind != "bars" else list(seen)


def _trend(ax, chart, table) -> None:
    categories = _categories(chart, table)
    position = {c: i for i, c in enumerate(categories)}
    top = 0.1
    for number, series in enumerate(chart.series):
        rows = table.rows[series.rows[0]:series.rows[1]]
        x = [position[str(row[chart.category_column])] for row in rows]
        y = [_value(row[series.value_column]) for row in rows]
        color = PALETTE[number % len(PALETTE)]
        if series.low_column is not None and series.high_column is not None:
            low = [_value(row[series.low_column]) for row in rows]
            high = [_value(row[series.high_column]) for row in rows]
            ax.fill_between(x, low, high, color=color, alpha=0.15, linewidth=0)
            top = max([top, *(v for v in high if not math.isnan(v))])
        ax.plot(x, y, marker="o", markersize=4, linewidth=2, color=color, label=_plain(series.name))
        top = max([top, *(v for v in y if not math.isnan(v))])
    ax.set_xticks(range(len(categories)), [_plain(c) for c in categories], rotation=30 if len(categories) > 6 else 0)
    ax.set_xlim(-0.5, max(len(categories) - 0.5, 0.5))
    ax.set_ylim(0, min(1.0, top * 1.15))
    _percent_axis(ax.yaxis)
    ax.set_ylabel("aandeel (met 95%-interval)", fontsize=FONT["size"])
    if len(chart.series) > 1:
        below = -0.3 if len(categories) > 6 else -0.15  # clear of rotated year labels
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, below), ncol=min(3, len(chart.series)), frameon=False, fontsize=FONT["size"])


def _stacked(ax, chart, table) -> None:
    categories = _categories(chart, table)
    position = {c: i for i, c in enumerate(categories)}
    bottoms = [0.0] * len(categories)
    for number, series in enumerate(chart.series):
        heights = [0.0] * len(categories)
        for row in table.rows[series.rows[0]:series.rows[1]]:
            value = _value(row[series.value_column])
            heights[position[str(row[chart.category_column])]] = 0.0 if math.isnan(value) else value
        ax.bar(range(len(categories)), heights, bottom=bottoms, color=DESTINATION_PALETTE[number % len(DESTINATION_PALETTE)],
               label=_plain(series.name), width=0.7)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    ax.set_xticks(range(len(categories)), [_plain(c) for c in categories], rotation=30 if len(categories) > 6 else 0)
    ax.set_ylim(0, 1)
    _percent_axis(ax.yaxis)
    ax.set_ylabel("aandeel van de gediplomeerden", fontsize=FONT["size"])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3 if len(categories) > 6 else -0.15), ncol=3, frameon=False,
              fontsize=FONT["size"])


def _bars(ax, chart, table) -> None:
    rows = table.rows
    labels = [_plain(_short(f"{row[0]} ({row[1]})" + (f", {row[2]}" if row[2] else ""))) for row in rows]
    width = 0.8 / max(1, len(chart.series))
    top = 0.1
    for number, series in enumerate(chart.series):
        values = [_value(row[series.value_column]) for row in rows[series.rows[0]:series.rows[1]]]
        offsets = [i - 0.4 + width * (number + 0.5) for i in range(len(values))]
        ax.bar(offsets, values, width=width, color=["#000000", "#999999", "#0072B2"][number % 3],
               label=_plain(series.name))
        top = max([top, *(v for v in values if not math.isnan(v))])
    ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right")
    ax.set_ylim(0, min(1.0, top * 1.15))
    _percent_axis(ax.yaxis)
    ax.legend(loc="upper right", frameon=False, fontsize=FONT["size"])


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
