"""Shares with their counts and 95% Wilson score intervals, so that a share of a handful of
documents does not read like a trend.

A change between two shares is called "up" or "down" only when their 95% intervals do not
overlap; otherwise it is no clear change.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval
CHANGE_RULE = (
    "a change is called up or down only when the two 95% Wilson score intervals do not overlap"
)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of k successes in n trials; (nan, nan) when n is 0."""
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if k <= 0 else max(0.0, centre - half)
    high = 1.0 if k >= n else min(1.0, centre + half)
    return (low, high)


def share_text(k: int, n: int) -> str:
    """`86% (6 of 7)`."""
    if n <= 0:
        return f"– ({k} of {n})"
    return f"{k / n:.0%} ({k} of {n})"


def interval_text(k: int, n: int) -> str:
    """`49–97%`, the 95% interval of k of n."""
    low, high = wilson(k, n)
    if math.isnan(low):
        return "no interval"
    return f"{low * 100:.0f}–{high:.0%}"


def share_with_interval(k: int, n: int) -> str:
    """`86% (6 of 7; 95% interval 49–97%)`."""
    return f"{share_text(k, n)[:-1]}; 95% interval {interval_text(k, n)})"


def clear_change(k1: int, n1: int, k0: int, n0: int) -> int:
    """+1 (up) or -1 (down) when the 95% intervals of k1 of n1 and k0 of n0 do not overlap,
    0 when they do (no clear change)."""
    low1, high1 = wilson(k1, n1)
    low0, high0 = wilson(k0, n0)
    if any(math.isnan(v) for v in (low1, high1, low0, high0)):
        return 0
    if low1 > high0:
        return 1
    if high1 < low0:
        return -1
    return 0


def compare(k1: int, n1: int, k0: int, n0: int) -> str:
    """The words that join a share to an earlier one: `up from`, `down from`, or `against`
    when the intervals overlap (the sentence then says the change is not clear)."""
    return {1: "up from", -1: "down from", 0: "against"}[clear_change(k1, n1, k0, n0)]
