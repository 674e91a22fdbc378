"""The short texts of an outcome's results: arm cells, effects with their intervals, model labels,
the source of the numbers, the test for subgroup differences. Tables and figures both use them."""

from __future__ import annotations

from pipeline.present import numbers as fmt
from pipeline.results.contract import Arm, Fit, FitSummary, OutcomeResult, StudyResult, SubgroupAnalysis, to_display
from pipeline.results.models import model

CHECK_WORDS = {
    "primary": "trial report",
    "secondary": "secondary source",
    "derived": "derived",
    "unverified": "unverified",
}


def model_label(result: OutcomeResult, name: str) -> str:
    """Row label of a pooled model, as in RevMan's 'Total (95% CI)' rows."""
    return model(name).label_for(result.models)


def arm_cell(arm: Arm, binary: bool) -> str:
    """Events/total, or mean (SD) N with * when estimated from a median."""
    if binary:
        return f"{arm.events}/{arm.n}"
    star = "*" if arm.conversion else ""
    return f"{fmt.number(arm.mean, 1)}{star} ({fmt.number(arm.sd, 1)}) {arm.n}"


def study_effect(result: OutcomeResult, s: StudyResult, style: str = "brackets") -> str:
    m = result.measure
    return fmt.effect_ci(
        to_display(m, s.yi), to_display(m, s.ci_lower), to_display(m, s.ci_upper), result.is_ratio, style
    )


def fit_effect(result: OutcomeResult, fit: Fit, style: str = "brackets") -> str:
    if not isinstance(fit, FitSummary):
        return "not estimable"
    return fmt.effect_ci(fit.effect, *fit.effect_ci, ratio=result.is_ratio, style=style)


def subgroup_test_sentence(sg: SubgroupAnalysis) -> str:
    if sg.df == 0:
        return "Test for subgroup differences: not computable (fewer than two subgroups with a pooled estimate)."
    return f"Test for subgroup differences: Q = {fmt.number(sg.q_between)}, df = {sg.df}, {fmt.p_equals(sg.pvalue)}."
