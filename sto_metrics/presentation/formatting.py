"""Dutch number formatting for everything a user reads: 27,3%, 1.234, 2023-2024.

Values arrive display-safe (after privacy.suppress): counts may be the string '<5',
hidden shares are None/NaN. Formatting never un-hides anything.
"""

from __future__ import annotations

import math

HIDDEN = "–"  # shown where a share is hidden or a value is missing


def is_missing(value: object) -> bool:
    """True for None, NaN, pandas NA and empty strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(math.isnan(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value) in {"<NA>", "NaT"}


def school_year(start_year: object) -> str:
    """2023 -> '2023-2024'; strings already in that form pass through."""
    if is_missing(start_year):
        return HIDDEN
    if isinstance(start_year, str) and "-" in start_year:
        return start_year
    year = int(start_year)  # type: ignore[call-overload]
    return f"{year}-{year + 1}"


def _dutch_digits(text: str) -> str:
    # Python formats as 1,234.5; Dutch writes 1.234,5.
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def number(value: object, decimals: int = 0) -> str:
    """A plain number in Dutch notation: 1.234 or 12,5."""
    if is_missing(value):
        return HIDDEN
    return _dutch_digits(f"{float(value):,.{decimals}f}")  # type: ignore[arg-type]


def count(value: object) -> str:
    """A suppressed-or-exact count: 1234 -> '1.234', '<5' stays '<5', missing -> '–'."""
    if is_missing(value):
        return HIDDEN
    if isinstance(value, str):
        return value.strip()
    return number(value, 0)


def percent(share: object, decimals: int = 1) -> str:
    """A share 0..1 as a Dutch percentage: 0.2734 -> '27,3%'; hidden -> '–'."""
    if is_missing(share) or isinstance(share, str):
        return HIDDEN
    return f"{number(float(share) * 100, decimals)}%"  # type: ignore[arg-type]


def points(difference: object, decimals: int = 1) -> str:
    """A difference of two shares in procentpunten: 0.012 -> '+1,2 procentpunt'.

    Starts with '-' when negative (st.metric colours the delta by its first character).
    """
    if is_missing(difference):
        return ""
    value = round(float(difference) * 100, decimals)  # type: ignore[arg-type]
    if value == 0:
        return f"{number(0, decimals)} procentpunt"
    sign = "+" if value > 0 else "-"
    return f"{sign}{number(abs(value), decimals)} procentpunt"


def interval(low: object, high: object, decimals: int = 1) -> str:
    """A 95% interval: '24,1% – 30,6%'; hidden when either bound is."""
    if is_missing(low) or is_missing(high):
        return HIDDEN
    return f"{percent(low, decimals)} – {percent(high, decimals)}"


def numeric(value: object) -> float | None:
    """The value as a float for drawing, or None when hidden or suppressed ('<5')."""
    if is_missing(value) or isinstance(value, str):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def suppression_note(min_count: int = 5, min_share_denominator: int = 10) -> str:
    """The suppression rule in force, in Dutch, for beside every figure."""
    return (
        f"Privacy: aantallen van 1 tot en met {min_count - 1} staan er als <{min_count}; "
        f"een percentage over minder dan {min_share_denominator} leerlingen wordt niet getoond ({HIDDEN}), "
        "en waar nodig wordt een extra cel verborgen zodat niets terug te rekenen is."
    )


DESTINATION_LABELS = {
    "ho_techniek": "hbo/wo techniek",
    "ho_overig": "hbo/wo overig",
    "mbo_techniek": "mbo techniek",
    "mbo_overig": "mbo overig",
    "vo": "nog in het vo",
    "niet_gevonden": "niet gevonden",
}
FROM_GROUP_LABELS = {"techniek": "uit technisch profiel (behoud)", "overig": "uit ander profiel (instap)", "totaal": "totaal"}
