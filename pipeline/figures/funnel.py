"""Funnel plot (effect against standard error, pseudo 95% confidence limits), drawn only when k >= 10.

Source: Sterne JAC et al. (2011) BMJ 343:d4002; metafor ``funnel`` (standard error on a reversed y
axis). Ratio measures are drawn on a log axis labelled with the ratio itself; differences on a linear axis.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from pipeline.figures.forest import tick_label  # noqa: E402
from pipeline.present import numbers as fmt  # noqa: E402
from pipeline.results.contract import OutcomeResult  # noqa: E402
from pipeline.stats.sensitivity import EGGER_MIN_STUDIES  # noqa: E402


def draw_funnel(result: OutcomeResult):
    """A Figure, or None when fewer than ``EGGER_MIN_STUDIES`` trials contribute (the plot would mislead)."""
    studies = [s for s in result.studies if s.vi is not None and math.isfinite(s.vi)]
    if len(studies) < EGGER_MIN_STUDIES or result.fixed is None:
        return None
    centre = result.fixed.estimate
    se = [math.sqrt(s.vi) for s in studies]
    top = max(se) * 1.05
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    xs = [centre - 1.96 * top, centre, centre + 1.96 * top]
    ys = [top, 0, top]
    points = [s.yi for s in studies]
    if result.is_ratio:
        xs = [math.exp(v) for v in xs]
        points = [math.exp(v) for v in points]
        ax.set_xscale("log")
        ax.axvline(math.exp(centre), color="black", lw=0.8)
    else:
        ax.axvline(centre, color="black", lw=0.8)
    ax.plot(xs, ys, color="0.4", ls="--", lw=0.8)
    ax.scatter(points, se, color="white", edgecolor="black", zorder=3)
    ax.set_ylim(top, 0)
    ax.set_ylabel(f"Standard error (of the log {result.measure})" if result.is_ratio else "Standard error")
    ax.set_xlabel(
        f"{fmt.measure_name(result.measure).capitalize()} ({result.measure}, log scale)"
        if result.is_ratio
        else f"{fmt.measure_name(result.measure).capitalize()} ({result.measure})"
    )
    if result.is_ratio:
        from matplotlib.ticker import FixedLocator, NullFormatter

        lo, hi = ax.get_xlim()
        ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo <= t <= hi]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.set_xticklabels([tick_label(t, True) for t in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
    egger = result.egger
    if egger is not None and egger.reported:
        ax.set_title(f"Egger's test: t = {fmt.number(egger.t)}, {fmt.p_equals(egger.pvalue)}", fontsize=9)
    fig.tight_layout()
    return fig
