"""Uncertainty of shares: the 95% Wilson score interval (docs/domain.md, uncertainty)."""

from __future__ import annotations

import math

import numpy as np

Z_95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval (low, high) for successes out of trials; (nan, nan) when trials is 0."""
    if trials <= 0:
        return (math.nan, math.nan)
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half_width = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return (max(0.0, centre - half_width), min(1.0, centre + half_width))


def wilson_arrays(successes, trials, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised wilson_interval: arrays (low, high), NaN where trials is 0."""
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        z2 = z * z
        denominator = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denominator
        half_width = z / denominator * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        low = np.where(n > 0, np.clip(centre - half_width, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half_width, 0.0, 1.0), np.nan)
    return low, high


def share_with_interval(successes, trials) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrays (share, ci_low, ci_high); all NaN where trials is 0 (a share over nobody is empty)."""
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, k / n, np.nan)
    low, high = wilson_arrays(k, n)
    return share, low, high


def newcombe_difference(p1, low1, high1, p2, low2, high2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The difference p1 - p2 of two independent shares with its 95% interval from their Wilson intervals
    (Newcombe 1998, method 10); arrays (difference, low, high), NaN where a share is missing."""
    p1, low1, high1, p2, low2, high2 = (np.asarray(v, dtype="float64") for v in (p1, low1, high1, p2, low2, high2))
    difference = p1 - p2
    low = difference - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = difference + np.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return difference, low, high
