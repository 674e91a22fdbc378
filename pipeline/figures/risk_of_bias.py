"""Risk-of-bias figures in the style of robvis (McGuinness & Higgins 2021, Res Synth Methods 12:55):
a traffic-light plot (trial x domain) and a weighted summary bar plot, for RoB 2 and ROBINS-I.

Cochrane colours by default, a colour-blind palette on request; every judgement also has robvis's
symbol (+ low, − some concerns / moderate, × high / serious, ! critical, ? no information) so the
plots read in greyscale.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Patch  # noqa: E402

from pipeline.figures.style import JUDGEMENTS, PALETTES, SYMBOLS, shorten, wrap_to_width  # noqa: E402

DOMAIN_NAMES = {
    "RoB 2": {
        "D1": "Randomisation process",
        "D2": "Deviations from intended interventions",
        "D3": "Missing outcome data",
        "D4": "Measurement of the outcome",
        "D5": "Selection of the reported result",
        "overall": "Overall",
    },
    "ROBINS-I": {
        "D1": "Confounding",
        "D2": "Selection of participants",
        "D3": "Classification of interventions",
        "D4": "Deviations from intended interventions",
        "D5": "Missing data",
        "D6": "Measurement of outcomes",
        "D7": "Selection of the reported result",
        "overall": "Overall",
    },
}


MAX_TRAFFIC_ROWS = 40


def _domains(tool: str) -> list[str]:
    return list(DOMAIN_NAMES[tool])


def _legend(tool: str, colours: dict):
    return [Patch(facecolor=colours[j], edgecolor="black", label=f"{SYMBOLS[j]}  {j}") for j in JUDGEMENTS[tool]]


def traffic_light(rows: list[dict], tool: str, labels: dict[str, str], palette: str = "cochrane"):
    """Trial x domain grid of judgements; ``rows`` are risk_of_bias.csv rows for one tool and outcome."""
    colours = PALETTES[palette]
    all_studies = list(dict.fromkeys(r["study_id"] for r in rows))
    studies = all_studies[:MAX_TRAFFIC_ROWS]  # a longer grid is unreadable; the table on the page lists all
    domains = _domains(tool)
    judged = {(r["study_id"], r["domain"]): r["judgement"] for r in rows}
    fig = Figure(figsize=(1.6 + 0.75 * len(domains), 1.2 + 0.42 * len(studies)))
    ax = fig.subplots()
    cells = [
        (j, i, judged[(sid, domain)])
        for i, sid in enumerate(studies)
        for j, domain in enumerate(domains)
        if (sid, domain) in judged
    ]
    if cells:  # one collection for the whole grid (a scatter per cell made this the slowest figure)
        ax.scatter(
            [c[0] for c in cells],
            [c[1] for c in cells],
            s=420,
            c=[colours[c[2]] for c in cells],
            edgecolors="black",
            linewidths=0.6,
            zorder=3,
        )
    for j, i, judgement in cells:
        ax.text(j, i, SYMBOLS[judgement], ha="center", va="center", fontsize=11, fontweight="bold", zorder=4)
    ax.set_xticks(range(len(domains)))
    ax.set_xticklabels([d if d != "overall" else "Overall" for d in domains], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(studies)))
    ax.set_yticklabels([shorten(labels.get(s, s), 28) for s in studies], fontsize=9)
    ax.set_xlim(-0.6, len(domains) - 0.4)
    ax.set_ylim(len(studies) - 0.5, -0.5)
    ax.grid(True, color="0.9", zorder=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.legend(
        handles=_legend(tool, colours),
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        frameon=False,
        title="Judgement",
        title_fontsize=8,
    )
    title = (
        tool
        if len(all_studies) <= MAX_TRAFFIC_ROWS
        else f"{tool}: first {MAX_TRAFFIC_ROWS} of {len(all_studies)} trials (all are in the table)"
    )
    ax.set_title(title, fontsize=10, loc="left", pad=22)
    fig.text(
        0.01,
        0.005,
        wrap_to_width(
            "; ".join(f"{d}: {name}" for d, name in DOMAIN_NAMES[tool].items() if d != "overall"),
            fig.get_figwidth() - 0.2,
            6.5,
        ),
        fontsize=6.5,
    )
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def summary_bars(rows: list[dict], tool: str, weights: dict[str, float], outcome_label: str, palette: str = "cochrane"):
    """Share of the analysis weight (or of trials, when no weight is given) at each judgement, per domain."""
    colours = PALETTES[palette]
    domains = _domains(tool)
    studies = list(dict.fromkeys(r["study_id"] for r in rows))
    w = {s: weights.get(s, 0.0) for s in studies}
    weighted = bool(sum(w.values()))
    if not weighted:
        w = {s: 1.0 for s in studies}
    total = sum(w.values())
    judged = {(r["study_id"], r["domain"]): r["judgement"] for r in rows}
    fig = Figure(figsize=(8, 0.9 + 0.42 * len(domains)))
    ax = fig.subplots()
    for i, domain in enumerate(domains):
        left = 0.0
        for judgement in JUDGEMENTS[tool]:
            share = sum(w[s] for s in studies if judged.get((s, domain)) == judgement) / total * 100
            if share <= 0:
                continue
            ax.barh(i, share, left=left, color=colours[judgement], edgecolor="black", linewidth=0.5)
            if share >= 6:
                ax.text(
                    left + share / 2, i, SYMBOLS[judgement], ha="center", va="center", fontsize=9, fontweight="bold"
                )
            left += share
    ax.set_yticks(range(len(domains)))
    ax.set_yticklabels([DOMAIN_NAMES[tool][d] for d in domains], fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(
        f"Share of the {outcome_label} analysis weight (%)" if weighted else "Share of trials (%)", fontsize=8.5
    )
    ax.legend(
        handles=_legend(tool, colours),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        ncol=len(JUDGEMENTS[tool]),
        fontsize=8,
        frameon=False,
    )
    ax.set_title(tool, fontsize=10, loc="left")
    fig.tight_layout()
    return fig
