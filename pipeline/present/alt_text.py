"""Alt text of the figures (no drawing here: the tables stage and pages use it too)."""

from __future__ import annotations

from pipeline.present import numbers as fmt
from pipeline.results.contract import OutcomeResult, to_display
from pipeline.review.config import Labels


def forest_alt_text(result: OutcomeResult, labels: Labels) -> str:
    """A sentence describing a forest plot: trials, pooled estimate, and the scale and direction of its measure."""
    head = result.headline
    studies = ", ".join(
        f"{s.label} {fmt.effect(to_display(result.measure, s.yi), result.is_ratio)}" for s in result.studies[:30]
    )
    if result.k > 30:
        studies += f" and {result.k - 30} more"
    pooled = (
        f"pooled {result.measure} {fmt.effect_ci(head.effect, *head.effect_ci, ratio=result.is_ratio, style='to')}"
        if head is not None
        else "no pooled estimate"
    )
    better = "below" if result.outcome.lower_is_better else "above"
    scale = (
        f"on a log scale where values {better} 1 favour {labels.intervention}"
        if result.is_ratio
        else f"on a linear scale where values {better} 0 favour {labels.intervention}"
    )
    return f"Forest plot of {result.outcome.label.lower()}: {result.k} trials ({studies}); {pooled}, {scale}."
