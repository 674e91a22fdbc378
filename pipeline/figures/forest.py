"""Forest plot in the layout readers know from RevMan / metafor's ``forest``.

Columns: study, events/total per arm, weights of the fixed and random model, effect
with 95% CI as text; squares sized by weight, CI whiskers (arrows where clipped),
pooled diamonds, heterogeneity and overall-effect text, favours labels under a log axis.
Greyscale-safe: black and grey only, shapes carry the meaning.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

MODEL_NAMES = {
    "MH": "Mantel-Haenszel",
    "FE": "Inverse variance",
    "PETO": "Peto",
    "REML": "REML",
    "DL": "DerSimonian-Laird",
    "PM": "Paule-Mandel",
    "ML": "ML",
    "SJ": "Sidik-Jonkman",
    "HE": "Hedges",
}


def _fmt_effect(est: float | None, lo: float | None, hi: float | None) -> str:
    if est is None or lo is None or hi is None:
        return "not estimable"
    return f"{est:.2f} [{lo:.2f}, {hi:.2f}]"


def _fmt_p(p: float | None) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.2f}" if p >= 0.01 else f"{p:.3f}"


def model_label(result: dict, name: str) -> str:
    models = result["models"]
    if name == "fixed":
        return f"Total, fixed ({models['fixed']})"
    if name == "random_hksj_adhoc":
        return f"Total, random ({models['random']}+HKSJ)"
    if name == "random_hksj":
        return f"Total, random ({models['random']}+HKSJ, untruncated)"
    return f"Total, random ({models['random']})"


def draw_diamond(ax, estimate: float, lower: float, upper: float, row: float, filled: bool) -> None:
    """A pooled-estimate diamond spanning the CI at ``row`` (filled black or white, outlined)."""
    ax.add_patch(
        Polygon(
            [(lower, row), (estimate, row - 0.3), (upper, row), (estimate, row + 0.3)],
            closed=True,
            facecolor="black" if filled else "white",
            edgecolor="black",
        )
    )


def set_log_axis(ax, values: list[float]) -> None:
    """Log-scale x axis spanning whole decades around ``values`` (clipped to 0.001-1000), ticks at decades."""
    lo_e = math.floor(math.log10(max(min(values + [0.5]) / 1.5, 1e-3)))
    hi_e = math.ceil(math.log10(min(max(values + [2.0]) * 1.5, 1e3)))
    ax.set_xscale("log")
    ax.set_xlim(10.0**lo_e, 10.0**hi_e)
    ticks = [10.0**e for e in range(lo_e, hi_e + 1)]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=8)
    ax.minorticks_off()


def arm_cell(study: dict, arm: str) -> str:
    """Events/total for binary outcomes; mean (SD) N for continuous ones (* = estimated from a median)."""
    if "events_t" in study:
        return f"{study[f'events_{arm}']}/{study[f'n_{arm}']}"
    star = "*" if study.get(f"conversion_{arm}", "").startswith("estimated") else ""
    return f"{study[f'mean_{arm}']:.1f}{star} ({study[f'sd_{arm}']:.1f}) {study[f'n_{arm}']}"


def draw_forest(
    result: dict,
    treatment_label: str = "MSC",
    control_label: str = "Control",
    rob: dict[str, dict[str, str]] | None = None,
    rob_palette: dict[str, str] | None = None,
):
    """Return a matplotlib Figure of the forest plot for one analysed outcome.

    With ``rob`` (study_id -> {domain: judgement}) risk-of-bias columns are drawn beside the
    effects, as in RevMan's forest plots with risk of bias.
    """
    studies = result["studies"]
    measure = result["outcome"]["measure"]
    binary = result["outcome"]["type"] == "binary"
    ratio = measure in ("RR", "OR")
    fits = result.get("fits", {})
    pooled_names = [n for n in ("fixed", result.get("headline_model")) if n and n in fits]
    pooled_names = list(dict.fromkeys(pooled_names))
    n_rows = len(studies) + len(pooled_names) + 1
    height = 1.6 + 0.32 * n_rows + 0.9
    rob_domains = sorted({d for judged in (rob or {}).values() for d in judged}, key=lambda d: (d == "overall", d))
    width = 10.5 + 0.38 * len(rob_domains)
    scale = 10.5 / width  # keep the original layout in inches and add the RoB columns on the right
    fig = plt.figure(figsize=(width, height))
    top = 1 - 0.55 / height
    row_h = 0.32 / height
    ax = fig.add_axes((0.585 * scale, 1.25 / height, 0.22 * scale, top - 1.25 / height - row_h * 0.2))
    y_max = n_rows
    ax.set_ylim(-0.5, y_max - 0.5)
    ax.invert_yaxis()
    cols = {
        k: v * scale for k, v in {"study": 0.01, "et": 0.245, "ec": 0.325, "wf": 0.41, "wr": 0.49, "eff": 0.815}.items()
    }

    def y_fig(row: float) -> float:
        lo, hi = ax.get_position().y0, ax.get_position().y1
        return hi - (row + 0.5) / y_max * (hi - lo)

    header_y = top + row_h * 0.25
    w_fixed = "Weight\n" + ("MH" if result["models"]["fixed"] == "MH" else "fixed")
    w_random = "Weight\nrandom"
    for key, text in (
        ("study", "Study"),
        ("et", f"{treatment_label}\n" + ("n/N" if binary else "mean (SD) N")),
        ("ec", f"{control_label}\n" + ("n/N" if binary else "mean (SD) N")),
        ("wf", w_fixed),
        ("wr", w_random),
        ("eff", f"{measure} [95% CI]"),
    ):
        fig.text(cols[key], header_y, text, fontsize=9, fontweight="bold", va="bottom")
    all_lo, all_hi = [], []
    weights_r = [s.get(f"weight_{result.get('headline_model')}") for s in studies]
    max_w = max([w for w in weights_r if w] or [1.0])
    for i, s in enumerate(studies):
        y = y_fig(i)
        fig.text(cols["study"], y, s["label"] + (" †" if s.get("double_zero") else ""), fontsize=9, va="center")
        fig.text(cols["et"], y, arm_cell(s, "t"), fontsize=9 if binary else 7.5, va="center")
        fig.text(cols["ec"], y, arm_cell(s, "c"), fontsize=9 if binary else 7.5, va="center")
        wf, wr = s.get("weight_fixed"), s.get(f"weight_{result.get('headline_model')}")
        fig.text(cols["wf"], y, f"{wf:.1f}%" if wf is not None else "-", fontsize=9, va="center")
        fig.text(cols["wr"], y, f"{wr:.1f}%" if wr is not None else "-", fontsize=9, va="center")
        fig.text(cols["eff"], y, _fmt_effect(s["effect"], s["ci_lower"], s["ci_upper"]), fontsize=9, va="center")
        ax.plot([s["ci_lower"], s["ci_upper"]], [i, i], color="black", lw=1)
        size = 4 + 10 * math.sqrt((wr or 0) / max_w)
        ax.plot([s["effect"]], [i], marker="s", color="0.25", markersize=size, markeredgecolor="black")
        all_lo.append(s["ci_lower"])
        all_hi.append(s["ci_upper"])
    for j, name in enumerate(pooled_names):
        row = len(studies) + 1 + j
        fit = fits[name]
        y = y_fig(row)
        fig.text(cols["study"], y, model_label(result, name), fontsize=9, fontweight="bold", va="center")
        if "error" in fit:
            fig.text(cols["eff"], y, "not estimable", fontsize=9, va="center")
            continue
        est, lo, hi = fit["estimate_display"], fit["ci_lower_display"], fit["ci_upper_display"]
        for arm in ("t", "c"):
            total = f"{sum(s[f'n_{arm}'] for s in studies)}"
            if binary:
                total = f"{sum(s[f'events_{arm}'] for s in studies)}/{total}"
            fig.text(cols[f"e{arm}"], y, total, fontsize=9, va="center", fontweight="bold")
        fig.text(cols["wf" if name == "fixed" else "wr"], y, "100%", fontsize=9, va="center", fontweight="bold")
        fig.text(cols["eff"], y, _fmt_effect(est, lo, hi), fontsize=9, va="center", fontweight="bold")
        draw_diamond(ax, est, lo, hi, row, filled=name == "fixed")
        all_lo.append(lo)
        all_hi.append(hi)
    null = 1.0 if ratio else 0.0
    if ratio:
        set_log_axis(ax, [v for v in all_lo + all_hi if v and v > 0 and math.isfinite(v)])
    else:
        finite = [v for v in all_lo + all_hi if v is not None and math.isfinite(v)]
        span = max(abs(min(finite + [0.0])), abs(max(finite + [0.0]))) * 1.1 or 1.0
        ax.set_xlim(-span, span)
        ax.tick_params(axis="x", labelsize=8)
    ax.axvline(null, color="black", lw=0.8)
    headline = fits.get(result.get("headline_model"))
    if headline and "error" not in headline:
        ax.axvline(headline["estimate_display"], color="0.5", lw=0.8, ls="--")
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    better_low = result["outcome"]["lower_is_better"]
    left, right = (treatment_label, control_label) if better_low else (control_label, treatment_label)
    for x, text, ha in ((0.47, f"← Favours {left}", "right"), (0.53, f"Favours {right} →", "left")):
        ax.annotate(
            text,
            xy=(x, 0),
            xycoords="axes fraction",
            xytext=(0, -22),
            textcoords="offset points",
            ha=ha,
            va="top",
            fontsize=8.5,
        )
    lines = []
    fixed = fits.get("fixed", {})
    if fixed and "error" not in fixed and result["k"] > 1:
        lines.append(
            f"Heterogeneity: Q = {fixed['q']:.2f}, df = {fixed['q_df']} (P = {_fmt_p(fixed['q_pvalue'])}); "
            f"I² = {fixed['i2']:.0f}% (Q-based)"
        )
    if headline and "error" not in headline and result["k"] > 1:
        lines.append(
            f"Random effects: τ² = {headline['tau2']:.3f}; I² = {headline['i2']:.0f}% ({'τ²-based' if result['convention'] == 'metafor' else 'Q-based'}); "
            f"test for overall effect P = {_fmt_p(headline['pvalue'])}"
        )
    if fixed and "error" not in fixed:
        lines.append(f"Fixed effect: test for overall effect P = {_fmt_p(fixed['pvalue'])}")
    if any(s.get("conversion_t", "").startswith("estimated") for s in studies):
        lines.append("* mean and SD estimated from the reported median and IQR/range (Luo 2018; Wan 2014; Shi 2020)")
    if any(s.get("double_zero") for s in studies):
        lines.append(
            "† no events in either arm: adds nothing to the MH estimate; ½ added to each cell for its own estimate"
        )
    fig.text(0.01, 0.02 + 0.2 / height, "\n".join(lines), fontsize=8, va="bottom")
    if rob_domains:
        from pipeline.figures.risk_of_bias import PALETTES, SYMBOLS

        palette = rob_palette or PALETTES["cochrane"]
        for j, domain in enumerate(rob_domains):
            x = 0.955 * scale + (j + 0.5) * (1 - 0.955 * scale) / len(rob_domains)
            fig.text(
                x,
                header_y,
                "O" if domain == "overall" else domain.replace("D", ""),
                fontsize=8,
                fontweight="bold",
                ha="center",
                va="bottom",
            )
            for i, study in enumerate(studies):
                judgement = (rob or {}).get(study["study_id"], {}).get(domain)
                if judgement is None:
                    continue
                fig.text(
                    x,
                    y_fig(i),
                    SYMBOLS[judgement],
                    fontsize=8,
                    ha="center",
                    va="center",
                    fontweight="bold",
                    bbox={
                        "boxstyle": "circle,pad=0.25",
                        "facecolor": palette[judgement],
                        "edgecolor": "black",
                        "linewidth": 0.5,
                    },
                )
        fig.text(
            0.955 * scale,
            0.02 + 0.2 / height,
            "Risk of bias per domain (O = overall); + low, ! some concerns/moderate, × high/serious, ? no information",
            fontsize=7,
            va="bottom",
        )
    return fig


def forest_alt_text(result: dict) -> str:
    """A sentence describing the plot, for the image's alt attribute."""
    head = result.get("fits", {}).get(result.get("headline_model"), {})
    studies = ", ".join(f"{s['label']} {s['effect']:.2f}" for s in result["studies"])
    if head and "error" not in head:
        pooled = (
            f"pooled {result['outcome']['measure']} {head['estimate_display']:.2f} "
            f"(95% CI {head['ci_lower_display']:.2f} to {head['ci_upper_display']:.2f})"
        )
    else:
        pooled = "no pooled estimate"
    return (
        f"Forest plot of {result['outcome']['label'].lower()}: {result['k']} trials ({studies}); {pooled}, "
        "on a log scale where values below 1 favour MSC."
    )


def draw_subgroup_forest(result: dict, variable: str, treatment_label: str = "MSC", control_label: str = "Control"):
    """Forest plot grouped by a trial characteristic, with a subtotal diamond per subgroup, the overall
    diamond and the test for subgroup differences underneath (RevMan layout)."""
    sg = result["subgroups"][variable]
    measure = result["outcome"]["measure"]
    ratio = measure in ("RR", "OR")
    by_id = {s["study_id"]: s for s in result["studies"]}
    lines: list[tuple[str, dict | None, str]] = []  # (kind, payload, label)
    for group, fit in sg["groups"].items():
        lines.append(("header", None, f"{group}"))
        for sid in fit["studies"]:
            lines.append(("study", by_id[sid], by_id[sid]["label"]))
        lines.append(
            ("subtotal", fit, f"Subtotal ({len(fit['studies'])} trial{'s' if len(fit['studies']) != 1 else ''})")
        )
    overall = result["fits"].get(result["headline_model"], {})
    lines.append(("overall", overall, "Total"))
    height = 1.4 + 0.3 * len(lines) + 0.6
    fig = plt.figure(figsize=(10, height))
    ax = fig.add_axes((0.50, 0.9 / height, 0.28, 1 - 1.5 / height))
    n = len(lines)
    ax.set_ylim(n - 0.5, -0.5)

    def y_fig(i):
        pos = ax.get_position()
        return pos.y1 - (i + 0.5) / n * (pos.y1 - pos.y0)

    top = 1 - 0.3 / height
    for x, text in (
        (0.01, "Study or subgroup"),
        (0.27, f"{treatment_label}"),
        (0.37, f"{control_label}"),
        (0.80, f"{measure} [95% CI]"),
    ):
        fig.text(x, top, text, fontsize=9, fontweight="bold", va="top")
    values = []
    for i, (kind, payload, label) in enumerate(lines):
        y = y_fig(i)
        bold = kind in ("header", "subtotal", "overall")
        fig.text(
            0.01 if kind != "study" else 0.025,
            y,
            label,
            fontsize=9,
            va="center",
            fontweight="bold" if bold else "normal",
        )
        if kind == "study":
            fig.text(0.27, y, arm_cell(payload, "t"), fontsize=8.5, va="center")
            fig.text(0.37, y, arm_cell(payload, "c"), fontsize=8.5, va="center")
            fig.text(
                0.80,
                y,
                _fmt_effect(payload["effect"], payload["ci_lower"], payload["ci_upper"]),
                fontsize=8.5,
                va="center",
            )
            ax.plot([payload["ci_lower"], payload["ci_upper"]], [i, i], color="black", lw=1)
            ax.plot([payload["effect"]], [i], marker="s", color="0.3", markersize=6)
            values += [payload["ci_lower"], payload["ci_upper"]]
        elif kind in ("subtotal", "overall"):
            if not payload or "error" in payload:
                fig.text(0.80, y, "not estimable", fontsize=8.5, va="center")
                continue
            est, lo, hi = payload["estimate_display"], payload["ci_lower_display"], payload["ci_upper_display"]
            fig.text(0.80, y, _fmt_effect(est, lo, hi), fontsize=8.5, va="center", fontweight="bold")
            draw_diamond(ax, est, lo, hi, i, filled=kind != "subtotal")
            values += [lo, hi]
    null = 1.0 if ratio else 0.0
    finite = [v for v in values if v is not None and math.isfinite(v) and (v > 0 or not ratio)]
    if ratio:
        set_log_axis(ax, finite)
    ax.axvline(null, color="black", lw=0.8)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    test = (
        "Test for subgroup differences: not computable (fewer than two subgroups with an estimate)"
        if sg["df"] == 0
        else f"Test for subgroup differences: Q = {sg['q_between']:.2f}, df = {sg['df']} (P = {_fmt_p(sg['pvalue'])})"
    )
    fig.text(
        0.01,
        0.15 / height,
        f"Subgroups by {sg['title']}. {test}. Subtotals: random effects (single trials: their own estimate).",
        fontsize=8,
    )
    return fig
