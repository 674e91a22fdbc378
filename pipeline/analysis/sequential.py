"""Trial sequential analysis of a binary outcome's result (a secondary display beside GRADE).

Adds a :class:`SequentialAnalysis` to an :class:`OutcomeResult`: the required information size
from the review's fixed settings, the cumulative Z-curve of the random-effects model in order of
publication, the monitoring boundaries at each trial, and a plain verdict.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pipeline.inputs.load import ReviewData
from pipeline.results.contract import OutcomeResult, SequentialAnalysis, SequentialLook
from pipeline.results.models import RANDOM
from pipeline.review.config import SequentialSettings
from pipeline.stats.meta_analysis import BinaryData, meta_analysis
from pipeline.stats.models import PoolingError
from pipeline.stats.trial_sequential import (
    UPPER_BOUND,
    boundary_at,
    design_rates,
    diversity,
    monitoring_boundaries,
    required_information_size,
    verdict,
)

ONGOING_STATUSES = (
    "recruiting",
    "not yet recruiting",
    "active, not recruiting",
    "enrolling by invitation",
    "completed",
    "unknown",
)


def _cumulative_z(result: OutcomeResult, method: str, convention: str) -> list[float]:
    """Z of the random-effects model after each trial (k = 1: the trial's own estimate)."""
    s = result.studies
    arrays = [
        np.array(v, dtype=float)
        for v in zip(*[(x.treatment.events, x.treatment.n, x.control.events, x.control.n) for x in s], strict=True)
    ]
    out = []
    for k in range(1, len(s) + 1):
        data = BinaryData(*(a[:k] for a in arrays))
        try:
            fit = meta_analysis(result.measure, "FE" if k == 1 else method, data, convention=convention)
            out.append(fit.estimate / fit.se if fit.se > 0 else 0.0)
        except PoolingError:
            out.append(float("nan"))
    return out


def _ongoing(data: ReviewData) -> tuple[int, int]:
    rows = [
        r
        for r in data.table("ongoing")
        if (r.get("status") or "").lower() in ONGOING_STATUSES and not (r.get("has_results") == "yes")
    ]
    return sum(int(r.get("enrolment") or 0) for r in rows), len(rows)


def add_sequential(result: OutcomeResult, settings: SequentialSettings, data: ReviewData) -> OutcomeResult:
    if result.k == 0 or not result.is_binary:
        return result
    controls = [(s.control.events or 0, s.control.n) for s in result.studies]
    if settings.control_event_proportion == "pooled":
        pc = sum(e for e, _ in controls) / sum(n for _, n in controls)
        pc_source = f"pooled control arms of the {result.k} trials ({sum(e for e, _ in controls)}/{sum(n for _, n in controls)})"
    else:
        pc = float(settings.control_event_proportion)
        pc_source = "set in review.yaml"
    random = result.fits.get(RANDOM)
    if settings.heterogeneity == "diversity":
        tau2 = random.tau2 if random is not None and random.ok else 0.0  # type: ignore[union-attr]
        d2 = diversity(np.array([s.vi for s in result.studies if s.vi is not None], dtype=float), tau2)
        d2_source = f"diversity D² of the {result.models['random']} random-effects model"
    else:
        d2 = float(settings.heterogeneity)
        d2_source = "set in review.yaml"
    if not 0 < pc < 1:
        return dataclasses.replace(
            result,
            message=(result.message + " " if result.message else "")
            + "Trial sequential analysis not possible: no events (or only events) in the control arms.",
        )
    ris = required_information_size(pc, settings.relative_risk_reduction, settings.alpha, settings.power, min(d2, 0.99))
    participants = np.cumsum([s.participants for s in result.studies])
    fractions = participants / ris
    z_raw = _cumulative_z(result, result.models["random"], result.convention)
    sign = -1.0 if result.outcome.lower_is_better else 1.0
    z = [sign * v for v in z_raw]
    rates = design_rates(fractions, alpha=settings.alpha)
    b = monitoring_boundaries(rates, alpha=settings.alpha, power=settings.power)

    def drawn(value: float) -> float | None:
        return None if not np.isfinite(value) or value >= UPPER_BOUND - 1e-6 else float(value)

    looks = []
    for s, n, t, zv in zip(result.studies, participants, fractions, z, strict=True):
        eff = boundary_at(b, float(t))
        fut = boundary_at(b, float(t), "futility")
        looks.append(
            SequentialLook(
                study_id=s.study_id,
                label=s.label,
                participants=int(n),
                information_fraction=float(t),
                z=float(zv),
                upper_boundary=drawn(eff),
                lower_boundary=None if drawn(eff) is None else -float(eff),
                futility_upper=None if not np.isfinite(fut) else float(fut),
                futility_lower=None if not np.isfinite(fut) else -float(fut),
            )
        )
    last = looks[-1]
    call = verdict(last.z, last.information_fraction, b)
    share = f"{100 * last.information_fraction:.0f}%" if last.information_fraction >= 0.01 else "<1%"
    size = f"{last.participants:,} of {int(np.ceil(ris)):,} participants"
    text = {
        "benefit": f"Firm evidence of benefit: the Z-curve crosses the monitoring boundary for benefit ({share} of the required information size, {size}).",
        "harm": f"Firm evidence of harm: the Z-curve crosses the monitoring boundary for harm ({share} of the required information size, {size}).",
        "futility": f"Futility: the anticipated effect can be rejected ({share} of the required information size, {size}).",
        "not yet conclusive": f"Not yet conclusive: {share} of the required information size ({size}); the Z-curve crosses no monitoring boundary.",
    }[call]
    grid = [
        [float(r), float(e) if e < UPPER_BOUND - 1e-6 else float("nan"), float(f)]
        for r, e, f in zip(b.rates, b.efficacy, b.futility, strict=True)
    ]
    ongoing_n, ongoing_k = _ongoing(data)
    favours = data.config.labels.intervention
    analysis = SequentialAnalysis(
        alpha=settings.alpha,
        power=settings.power,
        relative_risk_reduction=settings.relative_risk_reduction,
        control_event_proportion=pc,
        control_event_source=pc_source,
        heterogeneity=d2,
        heterogeneity_source=d2_source,
        required_information_size=int(np.ceil(ris)),
        accrued_information=int(participants[-1]),
        information_fraction=float(fractions[-1]),
        looks=looks,
        boundary_grid=grid,
        verdict=call,
        verdict_text=text,
        z_sign=f"positive Z favours {favours}",
        ongoing_participants=ongoing_n,
        ongoing_trials=ongoing_k,
    )
    return dataclasses.replace(result, sequential=analysis)
