"""Markdown tables of one outcome, from its typed result (their texts come from :mod:`pipeline.present`)."""

from __future__ import annotations

from pipeline.present import numbers as fmt
from pipeline.present.outcome_text import (
    CHECK_WORDS,
    arm_cell,
    fit_effect,
    model_label,
    study_effect,
    subgroup_test_sentence,
)
from pipeline.present.plain_language import model_words
from pipeline.present.to_markdown import Markdown, md, table, text
from pipeline.results.contract import FitSummary, OutcomeResult, SensitivityStep
from pipeline.results.models import FIXED, MODELS, usual_random_model
from pipeline.review.config import Labels


def study_results_table(result: OutcomeResult, labels: Labels) -> Markdown:
    if not result.studies:
        return text("No trial contributed data.")
    head = result.headline_model
    rows = []
    for s in result.studies:
        row = {
            "Trial": s.label,
            "Day": "not stated" if s.timepoint_days is None else str(s.timepoint_days),
            labels.intervention: arm_cell(s.treatment, result.is_binary),
            labels.comparator_title: arm_cell(s.control, result.is_binary),
            f"{result.measure} [95% CI]": study_effect(result, s),
            "Weight fixed": fmt.weight(s.weights.get(FIXED)),
            "Weight headline": fmt.weight(s.weights.get(head)) if head else "—",
            "Source": CHECK_WORDS.get(s.check, s.check),
        }
        if not result.is_binary:
            conversions = {a.conversion for a in (s.treatment, s.control) if a.conversion}
            row["Mean and SD"] = "; ".join(sorted(conversions)) if conversions else "reported"
        rows.append(row)
    return table(rows)


def pooled_table(result: OutcomeResult) -> Markdown:
    if not result.fits:
        return text("Nothing pooled.")
    rows = []
    for name, fit in result.fits.items():
        headline = " (headline)" if name == result.headline_model else ""
        if not isinstance(fit, FitSummary):
            rows.append(
                {
                    "Model": model_label(result, name) + headline,
                    "k": "",
                    f"{result.measure} [95% CI]": fit.reason,
                    "P": "",
                    "τ²": "",
                    "I²": "",
                    "Q (df), P": "",
                    "95% prediction interval": "",
                }
            )
            continue
        rows.append(
            {
                "Model": model_label(result, name) + headline,
                "k": str(fit.k),
                f"{result.measure} [95% CI]": fit_effect(result, fit),
                "P": fmt.p_value(fit.pvalue),
                "τ²": fmt.tau2(fit.tau2),
                "I²": fmt.percent(fit.i2),
                "Q (df), P": f"{fmt.number(fit.q)} ({fit.q_df}), {fmt.p_value(fit.q_pvalue)}",
                "95% prediction interval": "—"
                if not fit.is_random
                else fmt.interval(*fit.effect_pi, ratio=result.is_ratio),
            }
        )
    return table(rows)


def headline_note(result: OutcomeResult) -> Markdown:
    """Which model the summary reports and why (the few-trials rule, the HKSJ truncation)."""
    if not result.headline_model:
        return text(result.few_trials.note or result.message or "Nothing was pooled.")
    parts = [f"The headline result is the {model_words(result, result.headline_model)} model."]
    if result.few_trials.applied:
        parts.append(result.few_trials.note)
    elif MODELS[result.headline_model].truncate:
        parts.append(
            "The HKSJ interval is truncated so that it is never narrower than the z-based one "
            '(metafor test = "adhoc"); the untruncated row is what metafor\'s test = "knha" reports.'
        )
    return text(" ".join(parts))


def not_analysed_table(result: OutcomeResult) -> Markdown:
    if not result.not_analysed:
        return text("Every included trial contributed data to this analysis.")
    return table([{"Trial": m.label, "Why not analysed": m.reason} for m in result.not_analysed])


def _steps_table(result: OutcomeResult, steps: list[SensitivityStep], first: str, cumulative: bool) -> Markdown:
    rows = []
    for step in steps:
        row = {first: step.label}
        if cumulative:
            row["Published"] = step.date_published
            row["Participants"] = fmt.count(step.participants)
        row[f"{result.measure} [95% CI]"] = (
            fit_effect(result, step.fit) if step.fit.ok else step.fit.reason  # type: ignore[union-attr]
        )
        rows.append(row)
    return table(rows)


def sensitivity_tables(result: OutcomeResult) -> Markdown:
    parts: list[Markdown] = []
    model = model_words(result, result.headline_model or FIXED)
    if len(result.leave_one_out) > 1:
        parts.append(
            md(
                "**Leave-one-out** ({}, refitted without each trial)\n\n{}",
                model,
                _steps_table(result, result.leave_one_out, "Omitted", False),
            )
        )
    if len(result.cumulative) > 1:
        parts.append(
            md(
                "**Cumulative meta-analysis** (trials added in order of publication; {})\n\n{}",
                model,
                _steps_table(result, result.cumulative, "Adding", True),
            )
        )
    for sg in result.subgroups:
        rows = [
            {
                "Subgroup": g.group,
                "Trials": str(len(g.study_ids)),
                f"{result.measure} [95% CI]": fit_effect(result, g.fit) if g.fit.ok else g.fit.reason,  # type: ignore[union-attr]
            }
            for g in sg.groups
        ]
        parts.append(md("**Subgroups by {}**\n\n{}\n\n{}", sg.title, table(rows), subgroup_test_sentence(sg)))
    if result.egger is not None:
        e = result.egger
        words = (
            e.message
            if not e.reported
            else f"Egger's test: t = {fmt.number(e.t)}, df = {e.df}, {fmt.p_equals(e.pvalue)}."
        )
        parts.append(md("**Small-study effects.** {}", words))
    return Markdown("\n\n".join(parts)) if parts else text("No sensitivity analysis: fewer than two trials.")


def subgroup_one_liner(result: OutcomeResult) -> list[str]:
    """For the brief: one line per subgroup variable (the test and the subgroup estimates)."""
    lines = []
    for sg in result.subgroups:
        groups = "; ".join(
            f"{g.group} {fit_effect(result, g.fit, 'to') if g.fit.ok else 'not estimable'} ({len(g.study_ids)})"
            for g in sg.groups
        )
        test = "no test (one subgroup)" if sg.df == 0 else fmt.p_equals(sg.pvalue)
        lines.append(f"By {sg.title}: {groups}; test for differences {test}.")
    return lines


def sensitivity_one_liner(result: OutcomeResult) -> str:
    """For the brief: the range of leave-one-out estimates and the untruncated/other models."""
    estimates = [s.fit for s in result.leave_one_out if isinstance(s.fit, FitSummary)]
    if not estimates:
        return ""
    lo = min(estimates, key=lambda f: f.effect)
    hi = max(estimates, key=lambda f: f.effect)
    others = []
    for name in (FIXED, usual_random_model(hksj=True)):
        fit = result.fits.get(name)
        if name != result.headline_model and isinstance(fit, FitSummary):
            others.append(f"{model_label(result, name).replace('Total, ', '')} {fit_effect(result, fit, 'to')}")
    text = (
        f"Leaving out one trial at a time, the estimate ranges from {fmt.effect(lo.effect, result.is_ratio)} "
        f"to {fmt.effect(hi.effect, result.is_ratio)}"
    )
    if others:
        text += "; " + "; ".join(others)
    return text + "."


def provenance_sentence(result: OutcomeResult) -> Markdown:
    counts = result.evidence_checks
    if not result.k:
        return text("")
    return text(
        f"Of the {result.k} trials analysed, {counts.get('primary', 0)} rest on numbers read in the trial's own "
        f"report or registry record, {counts.get('secondary', 0)} on a secondary source only (another review's "
        f"table) and {counts.get('derived', 0)} on numbers derived by arithmetic (see the notes in the data)."
    )


def sequential_table(result: OutcomeResult) -> Markdown:
    seq = result.sequential
    if seq is None:
        return text("")
    rows = [
        {
            "After trial": look.label,
            "Participants": fmt.count(look.participants),
            "Information": fmt.percent(100 * look.information_fraction, 1),
            "Z": fmt.z_value(look.z),
            "Boundary (benefit / harm)": "beyond ±8 (not drawn)"
            if look.upper_boundary is None
            else f"±{fmt.number(look.upper_boundary)}",
            "Futility (inner wedge)": "—" if look.futility_upper is None else f"±{fmt.number(look.futility_upper)}",
        }
        for look in seq.looks
    ]
    settings = (
        f"Two-sided alpha {seq.alpha:g}, power {seq.power:.0%}, anticipated relative risk reduction "
        f"{seq.relative_risk_reduction:.0%}, control event proportion {seq.control_event_proportion:.1%} "
        f"({seq.control_event_source}), heterogeneity correction D² = {seq.heterogeneity:.0%} ({seq.heterogeneity_source}): "
        f"required information size {seq.required_information_size:,} participants. {seq.z_sign}."
    )
    return md("**{}**\n\n{}\n\n{}", seq.verdict_text, settings, table(rows))
