"""PRISMA 2020 flow diagram, with every count computed from the screening log (never typed in).

Layout after Page MJ et al. (2021) BMJ 372:n71, figure 1 (new reviews, databases and other
sources combined): identification -> screening -> eligibility -> included.
"""

from __future__ import annotations

from collections import Counter

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402


def prisma_counts(screening: list[dict]) -> dict:
    """The numbers in each PRISMA box, from ``data/screening.csv`` rows."""
    identified = Counter(r["identified_via"] for r in screening)
    duplicates = [r for r in screening if r.get("duplicate_of")]
    unique = [r for r in screening if not r.get("duplicate_of")]
    excluded_screening = [r for r in unique if r["decision"] == "exclude" and r["stage"] == "title/abstract"]
    assessed = [r for r in unique if r not in excluded_screening]
    excluded_full = [r for r in assessed if r["decision"] == "exclude"]
    included = [r for r in assessed if r["decision"] == "include"]
    return {
        "identified": len(screening),
        "identified_by_source": dict(sorted(identified.items())),
        "duplicates": len(duplicates),
        "screened": len(unique),
        "excluded_screening": len(excluded_screening),
        "excluded_screening_reasons": dict(Counter(r["reason"] for r in excluded_screening).most_common()),
        "assessed": len(assessed),
        "excluded_full_text": len(excluded_full),
        "excluded_full_text_reasons": dict(Counter(r["reason"] for r in excluded_full).most_common()),
        "awaiting": sum(1 for r in assessed if r["decision"] == "awaiting classification"),
        "included_reports": len(included),
        "included_studies": len({r["study_id"] for r in included}),
    }


def _box(ax, x, y, w, h, text, bold=False):
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.01,rounding_size=0.01",
            facecolor="white",
            edgecolor="black",
            linewidth=0.9,
        )
    )
    ax.text(
        x + 0.012,
        y + h - 0.012,
        text,
        ha="left",
        va="top",
        fontsize=8.2,
        fontweight="bold" if bold else "normal",
        wrap=True,
    )


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "black", "lw": 0.9})


def draw_prisma(counts: dict):
    fig, ax = plt.subplots(figsize=(9, 7.2))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    left_x, right_x, w = 0.04, 0.55, 0.41
    sources = "\n".join(f"  {name}: {n}" for name, n in counts["identified_by_source"].items())
    _box(ax, left_x, 0.80, w, 0.17, f"Records identified (n = {counts['identified']})\n{sources}")
    _box(ax, right_x, 0.84, w, 0.10, f"Duplicate records removed (n = {counts['duplicates']})")
    _box(ax, left_x, 0.62, w, 0.11, f"Records screened (n = {counts['screened']})")
    reasons = "\n".join(f"  {r}: {n}" for r, n in counts["excluded_screening_reasons"].items())
    _box(ax, right_x, 0.57, w, 0.21, f"Records excluded at screening (n = {counts['excluded_screening']})\n{reasons}")
    _box(ax, left_x, 0.40, w, 0.11, f"Reports assessed for eligibility (n = {counts['assessed']})")
    reasons = "\n".join(f"  {r}: {n}" for r, n in counts["excluded_full_text_reasons"].items())
    _box(
        ax,
        right_x,
        0.27,
        w,
        0.22,
        f"Reports excluded (n = {counts['excluded_full_text']})\n{reasons}\n"
        f"Awaiting classification (n = {counts['awaiting']})",
    )
    _box(
        ax,
        left_x,
        0.06,
        w,
        0.13,
        f"Studies included in review (n = {counts['included_studies']})\n"
        f"Reports of included studies (n = {counts['included_reports']})",
        bold=True,
    )
    _arrow(ax, left_x + w / 2, 0.80, left_x + w / 2, 0.73)
    _arrow(ax, left_x + w, 0.885, right_x, 0.885)
    _arrow(ax, left_x + w / 2, 0.62, left_x + w / 2, 0.51)
    _arrow(ax, left_x + w, 0.675, right_x, 0.675)
    _arrow(ax, left_x + w / 2, 0.40, left_x + w / 2, 0.19)
    _arrow(ax, left_x + w, 0.455, right_x, 0.42)
    for y, label in ((0.88, "Identification"), (0.56, "Screening"), (0.12, "Included")):
        ax.text(0.005, y, label, rotation=90, ha="left", va="center", fontsize=8.5, fontweight="bold", color="0.3")
    return fig


def prisma_alt_text(counts: dict) -> str:
    return (
        f"PRISMA 2020 flow diagram: {counts['identified']} records identified, {counts['duplicates']} duplicates removed, "
        f"{counts['screened']} screened, {counts['excluded_screening']} excluded at screening, {counts['assessed']} "
        f"assessed for eligibility, {counts['excluded_full_text']} excluded with reasons, {counts['awaiting']} awaiting "
        f"classification, {counts['included_studies']} studies included."
    )
