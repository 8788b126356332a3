"""Dutch sentences a school director can paste into a grant application, each backed by a table.

Every sentence is built from display-safe values (after privacy.suppress) and formatted with
`formatting`, so the percentages in it are exactly those in the table beside it. A change is
only called a rise or fall ("steeg", "daalde") when both values are shown and their 95% Wilson
intervals do not overlap (docs/domain.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sto_metrics.presentation import formatting as fmt

SMALL_NUMBERS = "wordt niet getoond vanwege kleine aantallen (privacyregel)"
WITHIN_MARGIN = "het verschil valt binnen de onzekerheidsmarge (de 95%-intervallen overlappen)"
OUTSIDE_MARGIN = "de 95%-intervallen overlappen niet"

# Verdicts, also written in the summary table beside the sentences.
RISE, FALL, WITHIN, UNKNOWN, SINGLE = "gestegen", "gedaald", "binnen de onzekerheidsmarge", "niet te vergelijken (kleine aantallen)", "één jaar"


@dataclass(frozen=True)
class Point:
    """One shown (or hidden) share of one school year: the cells of a table row."""

    year: str  # '2023-2024'
    share: float | None
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def shown(self) -> bool:
        return fmt.numeric(self.share) is not None


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def intervals_overlap(first: Point, last: Point) -> bool | None:
    """True/False when both intervals are shown; None when either is hidden."""
    values = [fmt.numeric(v) for v in (first.ci_low, first.ci_high, last.ci_low, last.ci_high)]
    if any(v is None for v in values):
        return None
    low1, high1, low2, high2 = values
    return not (high1 < low2 or high2 < low1)


def verdict(first: Point | None, last: Point | None) -> str:
    """What may be said about the change from first to last (one of the verdict constants)."""
    if first is None or last is None:
        return UNKNOWN
    if first.year == last.year:
        return SINGLE
    if not (first.shown and last.shown):
        return UNKNOWN
    overlap = intervals_overlap(first, last)
    if overlap is None or overlap:
        return WITHIN
    return RISE if float(last.share) > float(first.share) else FALL


def overlap_label(first: Point | None, last: Point | None) -> str:
    """'ja' / 'nee' / '–' for the summary table's column '95%-intervallen overlappen'."""
    if first is None or last is None or first.year == last.year:
        return fmt.HIDDEN
    overlap = intervals_overlap(first, last)
    if overlap is None:
        return fmt.HIDDEN
    return "ja" if overlap else "nee"


def change_sentence(subject: str, first: Point | None, last: Point | None) -> str:
    """'Het aandeel ... steeg van 19,8% (2019-2020) naar 25,1% (2024-2025); ...' or the honest alternative.

    `subject` is a noun phrase without a capital ('het aandeel vmbo-leerlingen in leerjaar 3 met
    een technisch profiel'); `first` is the baseline (nulmeting), `last` the latest year.
    """
    if first is None and last is None:
        return f"{_capitalise(subject)}: er zijn geen gegevens voor de gekozen schooljaren."
    if first is None or last is None or first.year == last.year:
        only = first or last
        assert only is not None
        if not only.shown:
            return f"{_capitalise(subject)} in {only.year} {SMALL_NUMBERS}."
        return (f"{_capitalise(subject)} was {fmt.percent(only.share)} in {only.year} "
                f"(95%-interval {fmt.interval(only.ci_low, only.ci_high)}).")
    if not first.shown and not last.shown:
        return f"{_capitalise(subject)} in {first.year} en in {last.year} {SMALL_NUMBERS}."
    if not first.shown:
        return (f"{_capitalise(subject)} was {fmt.percent(last.share)} in {last.year}; het cijfer voor {first.year} "
                f"{SMALL_NUMBERS}, dus over een verandering valt niets te zeggen.")
    if not last.shown:
        return (f"{_capitalise(subject)} was {fmt.percent(first.share)} in {first.year}; het cijfer voor {last.year} "
                f"{SMALL_NUMBERS}, dus over een verandering valt niets te zeggen.")
    result = verdict(first, last)
    if result in (RISE, FALL):
        verb = "steeg" if result == RISE else "daalde"
        return (f"{_capitalise(subject)} {verb} van {fmt.percent(first.share)} ({first.year}) naar "
                f"{fmt.percent(last.share)} ({last.year}); {OUTSIDE_MARGIN}.")
    return (f"{_capitalise(subject)} was {fmt.percent(first.share)} in {first.year} en {fmt.percent(last.share)} "
            f"in {last.year}; {WITHIN_MARGIN}.")


def level_sentence(subject: str, point: Point | None, count_text: str | None = None) -> str:
    """A statement about one year: '... was 45,0% in 2023-2024 (112 van 249 gediplomeerden).'"""
    if point is None:
        return f"{_capitalise(subject)}: er zijn geen gegevens voor de gekozen schooljaren."
    if not point.shown:
        return f"{_capitalise(subject)} in {point.year} {SMALL_NUMBERS}."
    suffix = f" ({count_text})" if count_text else ""
    return f"{_capitalise(subject)} was {fmt.percent(point.share)} in {point.year}{suffix}."


def ambition_sentence(label: str, scope_name: str, baseline_year: str, baseline_value: float | None, target_year: str,
                      target_value: float | None, latest_year: str | None, latest_value: float | None, status: str) -> str:
    """'Ambitie instroom techniek vmbo (Regio): van 21,0% in 2020-2021 naar 30,0% in 2027-2028. ...'"""
    start = (f"van {fmt.percent(baseline_value)} in {baseline_year} " if fmt.numeric(baseline_value) is not None
             else f"vanaf {baseline_year} ")
    head = f"Ambitie {label} ({scope_name}): {start}naar {fmt.percent(target_value)} in {target_year}."
    if status == "geen data" and fmt.numeric(baseline_value) is None:
        status = "geen data (de nulmeting ontbreekt of wordt niet getoond vanwege kleine aantallen)"
    if latest_year is None:
        return f"{head} Er is nog geen gerealiseerde waarde; status: {status}."
    if fmt.numeric(latest_value) is None:
        return f"{head} Het cijfer voor {latest_year} {SMALL_NUMBERS}; status: {status}."
    return f"{head} In {latest_year} was het {fmt.percent(latest_value)}; status: {status}."
