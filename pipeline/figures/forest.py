"""Forest plots in the layout readers know from RevMan and metafor's ``forest``.

:func:`forest_layout` decides everything a plot shows (rows, column texts, axis, footer) from a
typed result and can be tested without matplotlib; :func:`draw_forest` only draws a layout. The
same layout serves the plain plot, the plot with risk-of-bias columns, subgroup plots (headers
and subtotals), cumulative plots (metafor ``forest(cumul(...))``), pages of a very long plot, and
the print variant for the brief (1:1 at A4 width, text at least 7 pt).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.patches import Polygon  # noqa: E402

from pipeline.figures.style import (
    PALETTES,
    PRINT_FONT_PT,
    PRINT_WIDTH_IN,
    SCREEN_FONT_PT,
    SYMBOLS,
    legend_text,
    shorten,
)  # noqa: E402
from pipeline.present import numbers as fmt  # noqa: E402
from pipeline.present.alt_text import forest_alt_text  # noqa: E402, F401 (re-exported for the figures stage)
from pipeline.present.outcome_text import arm_cell, model_label  # noqa: E402
from pipeline.present.paging import ROWS_PER_PAGE, pages  # noqa: E402, F401 (pages re-exported)
from pipeline.results.contract import FitSummary, OutcomeResult, to_display  # noqa: E402
from pipeline.results.models import FIXED  # noqa: E402
from pipeline.review.config import Labels  # noqa: E402

LABEL_CHARS = 26  # a study label longer than this is shortened (the tables have it whole)


@dataclass(frozen=True)
class ForestRow:
    kind: str  # study | pooled | header | subtotal | note
    cells: tuple[str, ...]  # texts of the left columns, then the effect column
    estimate: float | None = None  # display scale
    lower: float | None = None
    upper: float | None = None
    weight: float | None = None  # square size
    filled: bool = True  # diamond filled (fixed / overall) or open (random / subtotal)
    rob: tuple[str, ...] = ()  # judgements per risk-of-bias domain column


@dataclass(frozen=True)
class ForestLayout:
    columns: tuple[str, ...]  # headings of the text columns (the last is the effect text)
    rows: tuple[ForestRow, ...]
    ratio: bool
    null_value: float
    x_limits: tuple[float, float]
    ticks: tuple[float, ...]
    favours: tuple[str, str]
    footer: tuple[str, ...]
    rob_domains: tuple[str, ...] = ()
    title: str = ""
    fontsize: float = SCREEN_FONT_PT
    width_in: float | None = None  # fixed width (print) or None (from the columns)
    reference_line: float | None = None  # the headline estimate, dashed
    rob_palette: dict = field(default_factory=lambda: PALETTES["cochrane"])


def axis_limits(values: list[float], ratio: bool) -> tuple[tuple[float, float], tuple[float, ...]]:
    """Ratio: whole decades around the values, clipped to 0.001-1000 (RevMan's widest scale);
    differences: symmetric around 0 with five ticks."""
    finite = [v for v in values if v is not None and math.isfinite(v) and (v > 0 or not ratio)]
    if ratio:
        lo = math.floor(math.log10(max(min(finite + [0.5]), 1e-3)))
        hi = math.ceil(math.log10(min(max(finite + [2.0]), 1e3)))
        e = min(max(-lo, hi, 1), 3)  # symmetric decades on the log scale, as RevMan draws it
        ticks = tuple(10.0**k for k in range(-e, e + 1)) if e <= 2 else (0.001, 0.1, 1.0, 10.0, 1000.0)
        return (10.0**-e, 10.0**e), ticks
    span = max([abs(v) for v in finite] + [1e-9]) * 1.1
    step = _nice(span / 2)
    top = step * math.ceil(span / step)
    return (-top, top), tuple(-top + i * top / 2 for i in range(5))


def _nice(x: float) -> float:
    exp = math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10**exp >= x:
            return m * 10**exp
    return 10 ** (exp + 1)


def tick_label(value: float, ratio: bool) -> str:
    if ratio:
        return f"{value:g}"
    return fmt.number(value, 0 if abs(value) >= 10 or value == 0 else 1)


def favours(result: OutcomeResult, labels: Labels) -> tuple[str, str]:
    """Left and right favours-labels: the intervention on the side where it is better."""
    a, b = labels.intervention, labels.comparator_title
    return (a, b) if result.outcome.lower_is_better else (b, a)


def _fit_row(result: OutcomeResult, name: str, fit, kind: str = "pooled", label: str | None = None) -> ForestRow:
    studies = result.studies
    text = label or model_label(result, name)
    if not isinstance(fit, FitSummary):
        return ForestRow(kind, (text, "", "", "", "not estimable"))
    if result.is_binary:
        totals = tuple(
            f"{sum((getattr(s, arm).events or 0) for s in studies)}/{sum(getattr(s, arm).n for s in studies)}"
            for arm in ("treatment", "control")
        )
    else:
        totals = tuple(str(sum(getattr(s, arm).n for s in studies)) for arm in ("treatment", "control"))
    lo, hi = fit.effect_ci
    return ForestRow(
        kind,
        (text, *totals, "100%", fmt.effect_ci(fit.effect, lo, hi, result.is_ratio)),
        fit.effect,
        lo,
        hi,
        filled=name == FIXED,
    )


def _study_row(result: OutcomeResult, s, weight_model: str, rob_domains: tuple[str, ...], rob: dict) -> ForestRow:
    m = result.measure
    est, lo, hi = to_display(m, s.yi), to_display(m, s.ci_lower), to_display(m, s.ci_upper)
    w = s.weights.get(weight_model)
    label = shorten(s.label, LABEL_CHARS) + (" †" if s.double_zero else "")
    judged = rob.get(s.study_id, {})
    return ForestRow(
        "study",
        (
            label,
            arm_cell(s.treatment, result.is_binary),
            arm_cell(s.control, result.is_binary),
            fmt.weight(w),
            fmt.effect_ci(est, lo, hi, result.is_ratio),
        ),
        est,
        lo,
        hi,
        weight=w,
        rob=tuple(judged.get(d, "") for d in rob_domains),
    )


def _footer(result: OutcomeResult) -> list[str]:
    lines = []
    fixed, head = result.fixed, result.headline
    if fixed is not None and result.k > 1:
        lines.append(
            f"Heterogeneity: Q = {fmt.number(fixed.q)}, df = {fixed.q_df} ({fmt.p_equals(fixed.q_pvalue)}); I² = {fmt.percent(fixed.i2)} (Q-based)"
        )
    if head is not None and head.is_random and result.k > 1:
        i2_kind = "τ²-based" if result.convention == "metafor" else "Q-based"
        lines.append(
            f"Random effects: τ² = {fmt.tau2(head.tau2)}; I² = {fmt.percent(head.i2)} ({i2_kind}); test for overall effect {fmt.p_equals(head.pvalue)}"
        )
    if fixed is not None:
        lines.append(f"Fixed effect: test for overall effect {fmt.p_equals(fixed.pvalue)}")
    if result.few_trials.applied and result.k > 1:
        lines.append(f"{result.k} trials: the fixed-effect estimate is the headline (few-trials rule of this review).")
    if any(s.treatment.conversion or s.control.conversion for s in result.studies):
        lines.append("* mean and SD estimated from the reported median and IQR/range (Luo 2018; Wan 2014; Shi 2020)")
    if any(s.double_zero for s in result.studies):
        lines.append(
            "† no events in either arm: adds nothing to the MH estimate; ½ added to each cell for its own estimate"
        )
    return lines


def forest_layout(
    result: OutcomeResult,
    labels: Labels,
    rob: dict[str, dict[str, str]] | None = None,
    page: tuple[int, int] | None = None,
    print_mode: bool = False,
) -> ForestLayout:
    """Rows and texts of a forest plot. ``page`` = (first, last) study indexes for one page of a long plot."""
    weight_model = result.headline_model or FIXED
    rob = rob or {}
    rob_domains = tuple(sorted({d for judged in rob.values() for d in judged}, key=lambda d: (d == "overall", d)))
    studies = result.studies if page is None else result.studies[page[0] : page[1]]
    rows = [_study_row(result, s, weight_model, rob_domains, rob) for s in studies]
    pooled = [n for n in dict.fromkeys((FIXED, result.headline_model)) if n and n in result.fits]
    rows += [_fit_row(result, name, result.fits[name]) for name in pooled]
    unit = "n/N" if result.is_binary else "mean (SD) N"
    columns = (
        "Study",
        f"{labels.intervention} {unit}",
        f"{labels.comparator_title} {unit}",
        "Weight",
        f"{result.measure} [95% CI]",
    )
    values = [v for r in rows for v in (r.lower, r.upper) if v is not None]
    limits, ticks = axis_limits(values, result.is_ratio)
    head = result.headline
    footer = _footer(result)
    if page is not None:
        footer.insert(
            0, f"Trials {page[0] + 1}-{min(page[1], result.k)} of {result.k}; pooled rows use all {result.k} trials."
        )
    if rob_domains:
        footer.append("Risk of bias per domain (O = overall): " + legend_text())
    return ForestLayout(
        columns=columns,
        rows=tuple(rows),
        ratio=result.is_ratio,
        null_value=result.null_value,
        x_limits=limits,
        ticks=ticks,
        favours=favours(result, labels),
        footer=tuple(footer),
        rob_domains=rob_domains,
        fontsize=PRINT_FONT_PT if print_mode else SCREEN_FONT_PT,
        width_in=PRINT_WIDTH_IN if print_mode else None,
        reference_line=head.effect if head is not None else None,
    )


def subgroup_layout(result: OutcomeResult, column: str, labels: Labels) -> ForestLayout:
    """Trials grouped by a subgroup variable with subtotal diamonds, the overall diamond and the test
    for subgroup differences (RevMan layout)."""
    sg = result.subgroup(column)
    assert sg is not None
    by_id = {s.study_id: s for s in result.studies}
    weight_model = result.headline_model or FIXED
    rows: list[ForestRow] = []
    collapsed = result.k > ROWS_PER_PAGE  # long reviews: subtotals only (the trials are on the main plot's pages)
    for g in sg.groups:
        rows.append(ForestRow("header", (shorten(g.group, 40), "", "", "", "")))
        if not collapsed:
            rows += [_study_row(result, by_id[sid], weight_model, (), {}) for sid in g.study_ids]
        n = len(g.study_ids)
        sub = f"Subtotal ({n} trial{'s' if n != 1 else ''})"
        if isinstance(g.fit, FitSummary):
            lo, hi = g.fit.effect_ci
            rows.append(
                ForestRow(
                    "subtotal",
                    (sub, "", "", "", fmt.effect_ci(g.fit.effect, lo, hi, result.is_ratio)),
                    g.fit.effect,
                    lo,
                    hi,
                    filled=False,
                )
            )
        else:
            rows.append(ForestRow("subtotal", (sub, "", "", "", "not estimable")))
    if result.headline is not None:
        rows.append(_fit_row(result, result.headline_model, result.headline, label="Total"))
    layout = forest_layout(result, labels)
    values = [v for r in rows for v in (r.lower, r.upper) if v is not None]
    limits, ticks = axis_limits(values, result.is_ratio)
    from pipeline.present.outcome_text import subgroup_test_sentence

    footer = (
        f"Subgroups by {sg.title}. {subgroup_test_sentence(sg)}",
        "Subtotals: the same model as the overall analysis (few-trials rule applied within each subgroup)."
        + (
            f" {result.k} trials: subtotals only; every trial is on the pages of the main forest plot."
            if collapsed
            else ""
        ),
    )
    return ForestLayout(
        columns=layout.columns,
        rows=tuple(rows),
        ratio=layout.ratio,
        null_value=layout.null_value,
        x_limits=limits,
        ticks=ticks,
        favours=layout.favours,
        footer=footer,
        reference_line=layout.reference_line,
    )


def cumulative_layout(result: OutcomeResult, labels: Labels) -> ForestLayout:
    """metafor ``forest(cumul(res))``: the pooled estimate after each trial, in order of publication."""
    rows = []
    steps = result.cumulative
    every = max(1, -(-len(steps) // ROWS_PER_PAGE))  # long reviews: every n-th step and the last
    shown = [s for i, s in enumerate(steps) if i % every == every - 1 or i == len(steps) - 1]
    for step in shown:
        fit = step.fit
        label = f"+ {shorten(step.label, LABEL_CHARS)}"
        if isinstance(fit, FitSummary):
            lo, hi = fit.effect_ci
            rows.append(
                ForestRow(
                    "study",
                    (
                        label,
                        step.date_published,
                        fmt.count(step.participants),
                        "",
                        fmt.effect_ci(fit.effect, lo, hi, result.is_ratio),
                    ),
                    fit.effect,
                    lo,
                    hi,
                    weight=None,
                )
            )
        else:
            rows.append(
                ForestRow("study", (label, step.date_published, fmt.count(step.participants), "", "not estimable"))
            )
    values = [v for r in rows for v in (r.lower, r.upper) if v is not None]
    limits, ticks = axis_limits(values, result.is_ratio)
    from pipeline.present.plain_language import model_words

    return ForestLayout(
        columns=("Adding trial", "Published", "Participants", "", f"{result.measure} [95% CI]"),
        rows=tuple(rows),
        ratio=result.is_ratio,
        null_value=result.null_value,
        x_limits=limits,
        ticks=ticks,
        favours=favours(result, labels),
        footer=(
            f"Cumulative meta-analysis: each row pools the trials up to and including it ({model_words(result, result.headline_model or 'fixed')})."
            + (f" Every {every}th of {len(steps)} steps is shown." if every > 1 else ""),
        ),
    )


def _text_width(texts: list[str], fontsize: float) -> float:
    """Inches a column needs (DejaVu Sans bold is about 0.66 em per character)."""
    return max((len(t) for t in texts), default=0) * fontsize * 0.66 / 72 + 0.15


def draw_forest(layout: ForestLayout):
    """Draw a :class:`ForestLayout` and return the Figure."""
    fs = layout.fontsize
    row_h = fs * 1.9 / 72
    n = len(layout.rows)
    text_cols = list(zip(*[r.cells for r in layout.rows], strict=True)) if layout.rows else [()] * len(layout.columns)
    widths = [max(_text_width([h] + list(col), fs), 0.3) for h, col in zip(layout.columns, text_cols, strict=True)]
    widths[-1] = max(widths[-1], _text_width(["0.00 [0.00, 0.00]"], fs))
    plot_w = 2.8 if layout.width_in is None else 2.0
    rob_w = 0.26 * len(layout.rob_domains) * fs / SCREEN_FONT_PT
    natural = sum(widths[:-1]) + plot_w + widths[-1] + rob_w + 0.2
    width = layout.width_in or natural
    if layout.width_in is not None and natural > width:  # squeeze the text columns, never the font
        scale = (width - plot_w - rob_w - 0.2) / (natural - plot_w - rob_w - 0.2)
        widths = [w * scale for w in widths]
    footer_h = (len(layout.footer) + 0.5) * fs * 1.45 / 72
    header_h = 2.3 * row_h
    axis_h = fs * 4.4 / 72
    height = header_h + n * row_h + axis_h + footer_h + 0.1
    fig = Figure(figsize=(width, height))
    x = 0.1
    col_x = []
    for w in widths[:-1]:
        col_x.append(x)
        x += w
    plot_x0 = x
    effect_x = plot_x0 + plot_w + 0.1
    rob_x0 = effect_x + widths[-1]
    bottom = axis_h + footer_h
    ax = fig.add_axes((plot_x0 / width, bottom / height, plot_w / width, n * row_h / height))
    ax.set_ylim(n - 0.5, -0.5)
    top_y = (bottom + n * row_h) / height

    def row_y(i: int) -> float:
        return (bottom + (n - i - 0.5) * row_h) / height

    head_y = top_y + 0.25 * row_h / height
    for j, heading in enumerate(layout.columns[:-1]):
        fig.text(
            col_x[j] / width,
            head_y,
            heading.replace(" n/N", "\nn/N").replace(" mean (SD) N", "\nmean (SD) N"),
            fontsize=fs,
            fontweight="bold",
            va="bottom",
        )
    fig.text(effect_x / width, head_y, layout.columns[-1], fontsize=fs, fontweight="bold", va="bottom")
    for j, domain in enumerate(layout.rob_domains):
        fig.text(
            (rob_x0 + (j + 0.5) * rob_w / len(layout.rob_domains)) / width,
            head_y,
            "O" if domain == "overall" else domain.replace("D", ""),
            fontsize=fs,
            fontweight="bold",
            ha="center",
            va="bottom",
        )
    max_w = max([r.weight for r in layout.rows if r.weight] or [1.0])
    lo_lim, hi_lim = layout.x_limits
    for i, r in enumerate(layout.rows):
        y = row_y(i)
        bold = r.kind in ("pooled", "header", "subtotal")
        indent = 0.12 if r.kind == "study" and any(rr.kind == "header" for rr in layout.rows) else 0.0
        for j, text in enumerate(r.cells[:-1]):
            fig.text(
                (col_x[j] + (indent if j == 0 else 0)) / width,
                y,
                text,
                fontsize=fs,
                va="center",
                fontweight="bold" if bold else "normal",
            )
        fig.text(effect_x / width, y, r.cells[-1], fontsize=fs, va="center", fontweight="bold" if bold else "normal")
        if r.estimate is not None and r.lower is not None and r.upper is not None:
            if r.kind == "study":
                lo, hi = max(r.lower, lo_lim), min(r.upper, hi_lim)
                ax.plot([lo, hi], [i, i], color="black", lw=0.9)
                for edge, limit, sign in ((r.lower, lo_lim, -1), (r.upper, hi_lim, 1)):
                    if (edge < limit) if sign < 0 else (edge > limit):
                        ax.annotate(
                            "",
                            xy=(limit, i),
                            xytext=(limit * (0.8 if layout.ratio else 1) if sign < 0 else limit, i),
                            arrowprops={"arrowstyle": "-|>" if sign > 0 else "<|-", "lw": 0.8},
                        )
                if lo_lim <= r.estimate <= hi_lim:
                    size = fs * (0.45 + 1.1 * math.sqrt((r.weight or 0) / max_w)) if r.weight is not None else fs * 0.5
                    ax.plot([r.estimate], [i], marker="s", color="0.25", markersize=size, markeredgecolor="black")
            else:
                lo, hi = max(r.lower, lo_lim), min(r.upper, hi_lim)
                est = min(max(r.estimate, lo_lim), hi_lim)
                ax.add_patch(
                    Polygon(
                        [(lo, i), (est, i - 0.32), (hi, i), (est, i + 0.32)],
                        closed=True,
                        facecolor="black" if r.filled else "white",
                        edgecolor="black",
                    )
                )
        for j, judgement in enumerate(r.rob):
            if judgement:
                fig.text(
                    (rob_x0 + (j + 0.5) * rob_w / len(layout.rob_domains)) / width,
                    y,
                    SYMBOLS[judgement],
                    fontsize=fs * 0.9,
                    ha="center",
                    va="center",
                    fontweight="bold",
                    bbox={
                        "boxstyle": "circle,pad=0.22",
                        "facecolor": layout.rob_palette[judgement],
                        "edgecolor": "black",
                        "linewidth": 0.5,
                    },
                )
    if layout.ratio:
        ax.set_xscale("log")
    ax.set_xlim(lo_lim, hi_lim)
    ax.set_xticks(list(layout.ticks))
    ax.set_xticklabels([tick_label(t, layout.ratio) for t in layout.ticks], fontsize=fs)
    ax.minorticks_off()
    ax.axvline(layout.null_value, color="black", lw=0.8)
    if layout.reference_line is not None and lo_lim < layout.reference_line < hi_lim:
        ax.axvline(layout.reference_line, color="0.5", lw=0.8, ls="--")
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    left, right = layout.favours
    for xpos, text, ha in ((0.48, f"← Favours {left}", "right"), (0.52, f"Favours {right} →", "left")):
        ax.annotate(
            text,
            xy=(xpos, 0),
            xycoords="axes fraction",
            xytext=(0, -fs * 1.9),
            textcoords="offset points",
            ha=ha,
            va="top",
            fontsize=fs,
        )
    if layout.footer:
        fig.text(
            0.1 / width,
            0.05 / height,
            "\n".join(layout.footer),
            fontsize=fs if layout.width_in is not None else fs * 0.92,  # print: never below the body size
            va="bottom",
            linespacing=1.35,
        )
    return fig
