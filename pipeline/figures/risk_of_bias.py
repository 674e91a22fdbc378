"""Risk-of-bias figures in the style of robvis (McGuinness & Higgins 2021, Res Synth Methods 12:55):
a traffic-light plot (trial x domain) and a weighted summary bar plot, for RoB 2 and ROBINS-I.

Cochrane colours by default, a colour-blind palette on request; every judgement also has a
symbol (+, !, -, x, ?) so the plots read in greyscale.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

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
JUDGEMENTS = {
    "RoB 2": ("low", "some concerns", "high"),
    "ROBINS-I": ("low", "moderate", "serious", "critical", "no information"),
}
SYMBOLS = {
    "low": "+",
    "some concerns": "!",
    "moderate": "−",
    "high": "×",
    "serious": "×",
    "critical": "!",
    "no information": "?",
}
PALETTES = {
    "cochrane": {
        "low": "#02C100",
        "some concerns": "#E2DF07",
        "moderate": "#E2DF07",
        "high": "#BF0000",
        "serious": "#BF0000",
        "critical": "#820000",
        "no information": "#4EA1F7",
    },
    # robvis "colourblind" palette
    "colourblind": {
        "low": "#fed98e",
        "some concerns": "#fe9929",
        "moderate": "#fe9929",
        "high": "#d95f0e",
        "serious": "#d95f0e",
        "critical": "#993404",
        "no information": "#ffffff",
    },
}


def _domains(tool: str) -> list[str]:
    return list(DOMAIN_NAMES[tool])


def traffic_light(rows: list[dict], tool: str, labels: dict[str, str], palette: str = "cochrane"):
    """Trial x domain grid of judgements; ``rows`` are risk_of_bias.csv rows for one tool and outcome."""
    colours = PALETTES[palette]
    studies = list(dict.fromkeys(r["study_id"] for r in rows))
    domains = _domains(tool)
    judged = {(r["study_id"], r["domain"]): r["judgement"] for r in rows}
    fig, ax = plt.subplots(figsize=(1.2 + 0.75 * len(domains), 0.9 + 0.42 * len(studies)))
    for i, sid in enumerate(studies):
        for j, domain in enumerate(domains):
            judgement = judged.get((sid, domain))
            if judgement is None:
                continue
            ax.scatter(j, i, s=420, color=colours[judgement], edgecolor="black", linewidth=0.6, zorder=3)
            ax.text(j, i, SYMBOLS[judgement], ha="center", va="center", fontsize=11, fontweight="bold", zorder=4)
    ax.set_xticks(range(len(domains)))
    ax.set_xticklabels([d if d != "overall" else "Overall" for d in domains], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(studies)))
    ax.set_yticklabels([labels.get(s, s) for s in studies], fontsize=9)
    ax.set_xlim(-0.6, len(domains) - 0.4)
    ax.set_ylim(len(studies) - 0.5, -0.5)
    ax.grid(True, color="0.9", zorder=0)
    for side in ax.spines.values():
        side.set_visible(False)
    legend = [Patch(facecolor=colours[j], edgecolor="black", label=f"{SYMBOLS[j]} {j}") for j in JUDGEMENTS[tool]]
    ax.legend(
        handles=legend,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        frameon=False,
        title="Judgement",
        title_fontsize=8,
    )
    ax.set_title(tool, fontsize=10, loc="left", pad=22)
    fig.text(
        0.01,
        0.005,
        "  ".join(f"{d}: {name}" for d, name in DOMAIN_NAMES[tool].items() if d != "overall"),
        fontsize=6.5,
        wrap=True,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def summary_bars(rows: list[dict], tool: str, weights: dict[str, float], palette: str = "cochrane"):
    """Share of the analysis weight (or of trials, when no weight is given) at each judgement, per domain."""
    colours = PALETTES[palette]
    domains = _domains(tool)
    studies = list(dict.fromkeys(r["study_id"] for r in rows))
    w = {s: weights.get(s, 0.0) for s in studies}
    if not sum(w.values()):
        w = {s: 1.0 for s in studies}
    total = sum(w.values())
    judged = {(r["study_id"], r["domain"]): r["judgement"] for r in rows}
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.42 * len(domains)))
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
        "Share of the mortality analysis weight (%)" if sum(weights.values()) else "Share of trials (%)", fontsize=8.5
    )
    legend = [Patch(facecolor=colours[j], edgecolor="black", label=f"{SYMBOLS[j]} {j}") for j in JUDGEMENTS[tool]]
    ax.legend(
        handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=len(legend), fontsize=8, frameon=False
    )
    ax.set_title(tool, fontsize=10, loc="left")
    fig.tight_layout()
    return fig
