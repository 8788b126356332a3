"""The definition settings in force; every metric and definition text takes one of these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HavoVwoTechnical = Literal["nt", "n"]
ProgressionDenominator = Literal["enrolled_mbo", "all_graduates"]


@dataclass(frozen=True)
class MetricSettings:
    """Which variant of each definition applies (docs/metrics.md; the defaults are the Techniekpact/CBS ones)."""

    dp_technical: bool = False  # count vmbo profile D&P as technical
    havo_vwo_technical: HavoVwoTechnical = "nt"  # 'nt': profile containing NT (CBS); 'n': every N profile (Techniekpact)
    progression_denominator: ProgressionDenominator = "enrolled_mbo"  # vmbo progression over mbo enrollees or all graduates

    def as_params(self) -> dict[str, object]:
        """The settings as bound SQL parameters."""
        return {
            "dp_technical": self.dp_technical,
            "havo_vwo_any_n": self.havo_vwo_technical == "n",
            "over_all_graduates": self.progression_denominator == "all_graduates",
        }


@dataclass(frozen=True)
class PopulationFilter:
    """Narrows the pupils counted (the dashboard's sidebar); an empty tuple means all."""

    leerwegen: tuple[str, ...] = ()  # 'BB', 'KB', 'GL', 'TL'
    genders: tuple[str, ...] = ()  # 'M', 'V', 'X'
    school_ids: tuple[str, ...] = ()
    school_years: tuple[int, ...] = ()  # start years
