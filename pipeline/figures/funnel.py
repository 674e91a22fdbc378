"""Funnel plot (effect against standard error, pseudo 95% confidence limits), drawn only when k >= 10.

Source: Sterne JAC et al. (2011) BMJ 343:d4002, "Recommendations for examining and interpreting
funnel plot asymmetry"; metafor ``funnel`` (default: standard error on the y axis, reversed).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pipeline.stats.sensitivity import EGGER_MIN_STUDIES  # noqa: E402


def draw_funnel(result: dict):
    """A Figure, or None when fewer than ``EGGER_MIN_STUDIES`` trials contribute (the plot would mislead)."""
    studies = [s for s in result["studies"] if s["vi"] is not None and math.isfinite(s["vi"])]
    if len(studies) < EGGER_MIN_STUDIES:
        return None
    fixed = result["fits"]["fixed"]
    centre = fixed["estimate"]
    se = [math.sqrt(s["vi"]) for s in studies]
    top = max(se) * 1.05
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot([centre - 1.96 * top, centre, centre + 1.96 * top], [top, 0, top], color="0.4", ls="--", lw=0.8)
    ax.axvline(centre, color="black", lw=0.8)
    ax.scatter([s["yi"] for s in studies], se, color="white", edgecolor="black", zorder=3)
    ax.set_ylim(top, 0)
    ax.set_ylabel("Standard error")
    ax.set_xlabel(f"log {result['outcome']['measure']}")
    egger = result.get("egger", {})
    if egger.get("reported"):
        ax.set_title(f"Egger's test: t = {egger['t']:.2f}, P = {egger['pvalue']:.3f}", fontsize=9)
    fig.tight_layout()
    return fig
