"""PRISMA 2020 flow diagram, every count computed from the screening log (never typed in).

Boxes after Page MJ et al. (2021) BMJ 372:n71, figure 1 (new reviews; databases, registers and other
sources combined): identification (records identified, records removed before screening by reason),
screening (records screened and excluded; reports sought for retrieval and not retrieved; reports
assessed and excluded with reasons), included; plus the Cochrane box "studies awaiting classification".
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from pipeline.figures.prisma_flow import NOT_RETRIEVED, prisma_counts  # noqa: E402, F401 (re-exported)


def _box(ax, x, y, w, h, text, bold=False):
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.005,rounding_size=0.01",
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
        fontsize=8,
        fontweight="bold" if bold else "normal",
        wrap=True,
    )


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "black", "lw": 0.9})


def _reasons(reasons: dict[str, int]) -> str:
    return "\n".join(f"  {r}: {n}" for r, n in reasons.items())


def draw_prisma(c: dict):
    fig = Figure(figsize=(9.5, 9.0))
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    L, R, W = 0.06, 0.55, 0.40
    sources = _reasons(c["identified_by_source"])
    waiting = f"\n  not yet screened (surveillance): {c['awaiting_screening']}" if c.get("awaiting_screening") else ""
    _box(ax, L, 0.84, W, 0.14, f"Records identified (n = {c['identified']})\n{sources}{waiting}")
    removed = _reasons(c["removed_before_screening_reasons"]) or "  none"
    _box(ax, R, 0.86, W, 0.10, f"Records removed before screening (n = {c['removed_before_screening']})\n{removed}")
    _box(ax, L, 0.70, W, 0.07, f"Records screened (n = {c['screened']})")
    _box(
        ax,
        R,
        0.66,
        W,
        0.15,
        f"Records excluded (n = {c['excluded_screening']})\n{_reasons(c['excluded_screening_reasons'])}",
    )
    _box(ax, L, 0.55, W, 0.07, f"Reports sought for retrieval (n = {c['sought']})")
    _box(ax, R, 0.55, W, 0.07, f"Reports not retrieved (n = {c['not_retrieved']})")
    _box(ax, L, 0.40, W, 0.07, f"Reports assessed for eligibility (n = {c['assessed']})")
    _box(
        ax,
        R,
        0.25,
        W,
        0.22,
        f"Reports excluded (n = {c['excluded_full_text']})\n{_reasons(c['excluded_full_text_reasons'])}",
    )
    _box(ax, R, 0.10, W, 0.09, f"Studies awaiting classification (n = {c['awaiting']})")
    _box(
        ax,
        L,
        0.05,
        W,
        0.12,
        f"Studies included in review (n = {c['included_studies']})\nReports of included studies (n = {c['included_reports']})",
        bold=True,
    )
    mid = L + W / 2
    _arrow(ax, mid, 0.84, mid, 0.77)
    _arrow(ax, L + W, 0.91, R, 0.91)
    _arrow(ax, mid, 0.70, mid, 0.62)
    _arrow(ax, L + W, 0.735, R, 0.735)
    _arrow(ax, mid, 0.55, mid, 0.47)
    _arrow(ax, L + W, 0.585, R, 0.585)
    _arrow(ax, mid, 0.40, mid, 0.17)
    _arrow(ax, L + W, 0.435, R, 0.40)
    _arrow(ax, L + W, 0.40, R, 0.145)
    for y, label in ((0.91, "Identification"), (0.55, "Screening"), (0.11, "Included")):
        ax.text(0.01, y, label, rotation=90, ha="left", va="center", fontsize=8.5, fontweight="bold", color="0.3")
    return fig


def prisma_alt_text(c: dict) -> str:
    return (
        f"PRISMA 2020 flow diagram: {c['identified']} records identified, {c['removed_before_screening']} removed before "
        f"screening, {c['screened']} screened, {c['excluded_screening']} excluded, {c['sought']} reports sought for retrieval, "
        f"{c['not_retrieved']} not retrieved, {c['assessed']} assessed for eligibility, {c['excluded_full_text']} excluded "
        f"with reasons, {c['awaiting']} awaiting classification, {c['included_studies']} studies included."
    )
