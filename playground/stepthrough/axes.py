"""Plot axes whose tick labels never pile up: log axes labelled by decades, integer-only axes.

pyqtgraph's log axis labels every 2…9 multiple when the visible range spans less than a decade,
and those labels overlap; its linear axis happily labels step 1.5 or a count of 2.5. These
subclasses choose the labelled ticks themselves and keep the unlabelled ones as minor ticks.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

LABEL_SPACING_PX = 22          # a tick label needs about this much room along a vertical axis
MAX_LABELS = 7               # more labels than this only clutter a small plot
MANTISSAS = ((1.0,), (1.0, 2.0, 5.0), tuple(float(m) for m in range(1, 10)))


def log_ticks(low: float, high: float, size: float) -> tuple[list[float], list[float]]:
    """Labelled and minor tick positions (log10 units) for the range ``low..high``.

    Labels go on the densest of whole decades, 1-2-5 multiples or every multiple whose labels
    stay apart on an axis ``size`` pixels long (decades are thinned when even they crowd; under
    one multiple apart, plain linear steps); the other multiples become minor ticks.
    """
    low, high = sorted((float(low), float(high)))
    if not (math.isfinite(low) and math.isfinite(high)) or high - low <= 0:
        return [], []
    max_labels = max(2, int(size // LABEL_SPACING_PX))
    decades = np.arange(math.floor(low), math.ceil(high) + 1, dtype=np.float64)
    every = (decades[:, None] + np.log10(MANTISSAS[-1])[None, :]).ravel()
    every = every[(every >= low - 1e-9) & (every <= high + 1e-9)]
    # The densest of decades / 1-2-5 / every multiple whose labels stay LABEL_SPACING_PX apart.
    pixels_per_unit = size / (high - low)
    target = min(max_labels, MAX_LABELS)
    labelled = every[:0]
    for mantissas in MANTISSAS:
        candidates = (decades[:, None] + np.log10(mantissas)[None, :]).ravel()
        candidates = candidates[(candidates >= low - 1e-9) & (candidates <= high + 1e-9)]
        spaced = len(candidates) < 2 or \
            np.diff(candidates).min() * pixels_per_unit >= LABEL_SPACING_PX
        if len(candidates) > target or not spaced:
            break
        labelled = candidates
    if len(labelled) < 2:
        whole = decades[(decades >= low - 1e-9) & (decades <= high + 1e-9)]
        if len(whole) >= 2:  # many decades on a short axis: every k-th decade
            every_k = max(math.ceil(LABEL_SPACING_PX / pixels_per_unit),
                          math.ceil(len(whole) / max_labels))
            labelled = whole[::every_k]
        else:  # 1-2-5 values that keep their distance, else plain linear steps
            one_two_five = (decades[:, None] + np.log10(MANTISSAS[1])[None, :]).ravel()
            labelled = _spaced(one_two_five[(one_two_five >= low - 1e-9)
                                            & (one_two_five <= high + 1e-9)],
                               LABEL_SPACING_PX / pixels_per_unit)
            if len(labelled) < 2:
                labelled = _spaced(np.log10(_linear_ticks(10.0 ** low, 10.0 ** high,
                                                          max_labels)),
                                   LABEL_SPACING_PX / pixels_per_unit)
    minor = every[~np.isclose(every[:, None], labelled[None, :], atol=1e-6).any(axis=1)]
    return labelled.tolist(), minor.tolist()


def _spaced(values: np.ndarray, gap: float) -> np.ndarray:
    """``values`` (sorted) without those closer than ``gap`` to the previous one kept."""
    kept: list[float] = []
    for value in values:  # a handful of tick candidates, not data
        if not kept or value - kept[-1] >= gap:
            kept.append(float(value))
    return np.asarray(kept, dtype=np.float64)


def _linear_ticks(low: float, high: float, max_labels: int) -> np.ndarray:
    """Multiples of a 1-2-5 step inside ``low..high`` (positive), at most ``max_labels``."""
    span = high - low
    step = 10.0 ** math.floor(math.log10(span / 2))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if span / (step * factor) <= max_labels:
            step *= factor
            break
    ticks = np.arange(math.ceil(low / step), math.floor(high / step) + 1) * step
    return ticks[ticks > 0]


def integer_ticks(levels: list[tuple[float, list[float]]], low: float,
                  high: float) -> list[tuple[float, list[float]]]:
    """pyqtgraph tick levels reduced to whole numbers (at least the integers in range)."""
    kept = [(spacing, [v for v in values if abs(v - round(v)) < 1e-9])
            for spacing, values in levels if spacing is not None and spacing >= 1.0]
    kept = [(spacing, values) for spacing, values in kept if values]
    if kept:
        return kept
    low, high = sorted((low, high))
    return [(1.0, [float(v) for v in range(math.ceil(low), math.floor(high) + 1)])]


class LogAxis(pg.AxisItem):
    """In log mode: decade (or 1-2-5) labels that fit the axis, plain numbers like 0.001."""

    def __init__(self, orientation: str = "left", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.setStyle(maxTextLevel=0)   # only the chosen labels; minor ticks stay unlabelled

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803
        """Labelled ticks first, then the unlabelled minor ticks."""
        if not self.logMode:
            return super().tickValues(minVal, maxVal, size)
        labelled, minor = log_ticks(minVal, maxVal, size)
        return [(None, labelled), (None, minor)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        """``10**v`` as ``0.001``, ``0.02`` or ``1e-05`` (short and exact for 1-2-5 values)."""
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [f"{10.0 ** v * scale:.3g}" for v in values]


class IntegerAxis(pg.AxisItem):
    """Ticks only at whole numbers (steps, counts)."""

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803
        """The usual ticks minus any fractional ones."""
        return integer_ticks(super().tickValues(minVal, maxVal, size), minVal, maxVal)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        """Whole numbers without a decimal point."""
        return [f"{int(round(v * scale))}" for v in values]
