"""The trial sequential analysis figure (the classic TSA display): cumulative Z-curve against accrued
participants, conventional boundaries at |Z| = 1.96, O'Brien-Fleming monitoring boundaries for benefit
and harm, the futility wedge, the required information size, and the information still expected from
registered trials that have not reported."""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from pipeline.figures.style import SCREEN_FONT_PT, wrap_to_width  # noqa: E402
from pipeline.present import numbers as fmt  # noqa: E402
from pipeline.results.contract import OutcomeResult  # noqa: E402
from pipeline.review.config import Labels  # noqa: E402


def draw_sequential(result: OutcomeResult, labels: Labels):
    seq = result.sequential
    assert seq is not None
    fs = SCREEN_FONT_PT
    ris = seq.required_information_size
    fig = Figure(figsize=(8.5, 5.6))
    ax = fig.subplots()
    x_grid = [r * ris for r, _, _ in seq.boundary_grid]
    eff = [e for _, e, _ in seq.boundary_grid]
    fut = [f for _, _, f in seq.boundary_grid]
    drawn = [(x, e) for x, e in zip(x_grid, eff, strict=True) if e is not None and math.isfinite(e)]
    if drawn:
        xs, es = zip(*drawn, strict=True)
        ax.plot(xs, es, color="#BF0000", lw=1.4, label="Monitoring boundary (benefit / harm)")
        ax.plot(xs, [-e for e in es], color="#BF0000", lw=1.4)
    wedge = [(x, f) for x, f in zip(x_grid, fut, strict=True) if f is not None and math.isfinite(f)]
    if wedge:
        xs, fs_ = zip(*wedge, strict=True)
        ax.plot(xs, fs_, color="#BF0000", lw=1.0, ls=":", label="Futility boundary (inner wedge)")
        ax.plot(xs, [-f for f in fs_], color="#BF0000", lw=1.0, ls=":")
    end = max(ris, seq.accrued_information + seq.ongoing_participants) * 1.05
    for z in (1.96, -1.96):
        ax.axhline(z, color="#2E7D32", lw=0.9, ls="--")
    ax.axhline(0, color="black", lw=0.6)
    ax.axvline(ris, color="0.3", lw=1.0)
    ax.text(ris, -7.6, f"Required information size {ris:,} ", fontsize=fs * 0.9, va="bottom", ha="right", rotation=90)
    xs = [0] + [look.participants for look in seq.looks]
    zs = [0.0] + [look.z for look in seq.looks]
    ax.plot(xs, zs, color="#1F4E9A", lw=1.6, marker="s", markersize=4, label="Cumulative Z-curve")
    if seq.ongoing_participants:
        ax.axvspan(
            seq.accrued_information,
            seq.accrued_information + seq.ongoing_participants,
            color="0.85",
            zorder=0,
            label=f"Expected from {seq.ongoing_trials} registered trials not yet reported",
        )
    ax.set_xlim(0, end)
    ax.set_ylim(-8, 8)
    ax.set_xlabel("Cumulative participants", fontsize=fs)
    ax.set_ylabel(f"Cumulative Z (positive favours {labels.intervention})", fontsize=fs)
    ax.tick_params(labelsize=fs)
    ax.text(0.005, 0.98, f"Favours {labels.intervention}", transform=ax.transAxes, fontsize=fs * 0.9, va="top")
    ax.text(0.005, 0.02, f"Favours {labels.comparator}", transform=ax.transAxes, fontsize=fs * 0.9, va="bottom")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=fs * 0.85, frameon=False)
    ax.set_title(
        wrap_to_width(f"Trial sequential analysis (secondary display): {seq.verdict_text}", 7.9, fs * 0.95),
        fontsize=fs * 0.95,
        loc="left",
    )
    fig.text(
        0.01,
        0.01,
        f"Two-sided alpha {seq.alpha:g}, power {seq.power:.0%}, RRR {seq.relative_risk_reduction:.0%}, control event proportion "
        f"{seq.control_event_proportion:.1%}, D² {seq.heterogeneity:.0%}. Green: conventional |Z| = 1.96. Boundaries beyond |Z| = 8 not drawn.",
        fontsize=fs * 0.85,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def sequential_alt_text(result: OutcomeResult) -> str:
    seq = result.sequential
    assert seq is not None
    last = seq.looks[-1]
    return (
        f"Trial sequential analysis of {result.outcome.label.lower()}: after {len(seq.looks)} trials and "
        f"{last.participants:,} participants the cumulative Z is {fmt.z_value(last.z)}; the required information size is "
        f"{seq.required_information_size:,} participants. {seq.verdict_text}"
    )
