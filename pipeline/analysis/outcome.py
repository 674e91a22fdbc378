"""Analyse one outcome: per-trial effects, fixed and random-effects fits, the headline model under the
review's rule for very few trials, subgroups, leave-one-out, cumulative analysis and Egger's test.

The numbers come from :mod:`pipeline.stats` (pure functions, checked against metafor); this
module decides which rows go in and assembles the :class:`OutcomeResult` every later stage reads.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipeline.analysis.arms import ARM_NAMES, SkewedArm, binary_arm, continuous_arm
from pipeline.analysis.select import select_rows
from pipeline.inputs.load import ReviewData
from pipeline.results.contract import (
    Arm,
    EggerResult,
    FewTrials,
    Fit,
    FitFailure,
    FitSummary,
    NotAnalysed,
    OutcomeResult,
    OutcomeSummary,
    SensitivityStep,
    StudyResult,
    SubgroupAnalysis,
    SubgroupEstimate,
)
from pipeline.results.models import FIXED, MODELS, fitted_models, usual_random_model
from pipeline.review.config import AnalysisSettings, Outcome, ReviewConfig
from pipeline.stats.conventions import get_convention
from pipeline.stats.distributions import Z_975
from pipeline.stats.effect_sizes import EffectSizes, binary_effect_sizes, continuous_effect_sizes
from pipeline.stats.measures import COUNT_METHODS
from pipeline.stats.meta_analysis import BinaryData, ContinuousData, meta_analysis
from pipeline.stats.models import MetaFit, PoolingError, prediction_interval_t_k_minus_2
from pipeline.stats.sensitivity import cumulative, egger_test, leave_one_out, subgroup_analysis


@dataclass(frozen=True)
class ModelSpec:
    """How one named fit is made: method, HKSJ, and whether the ad hoc truncation applies."""

    method: str
    hksj: bool = False
    truncate: bool = False


def fit_summary(name: str, fit: MetaFit, keep_weights: bool = True) -> FitSummary:
    """The stored summary of a fit. Sensitivity steps (leave-one-out, cumulative) keep no per-trial
    weights: k steps of k weights each would grow the results quadratically with the number of trials."""
    lo, hi = prediction_interval_t_k_minus_2(fit)
    shared = {f.name: getattr(fit, f.name) for f in dataclasses.fields(MetaFit) if f.name != "weights"}
    return FitSummary(
        model=name,
        **shared,
        pi_t_k2_lower=None if math.isnan(lo) else lo,
        pi_t_k2_upper=None if math.isnan(hi) else hi,
        weights=[None if not math.isfinite(w) else float(w) for w in fit.weights] if keep_weights else [],
    )


def as_fit(name: str, fitted: MetaFit | str, keep_weights: bool = True) -> Fit:
    return (
        fit_summary(name, fitted, keep_weights)
        if isinstance(fitted, MetaFit)
        else FitFailure(model=name, reason=fitted)
    )


class OutcomeData:
    """Arm-level arrays of the analysed trials and a way to fit any subset of them."""

    def __init__(self, measure: str, binary: bool, arrays: dict[str, np.ndarray], convention: str):
        self.measure = measure
        self.binary = binary
        self.arrays = arrays
        self.convention = convention
        self.columns = (
            ("events_t", "n_t", "events_c", "n_c") if binary else ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")
        )

    def subset(self, mask: np.ndarray) -> BinaryData | ContinuousData:
        make = BinaryData if self.binary else ContinuousData
        return make(*(self.arrays[c][mask] for c in self.columns))

    def effect_sizes(self) -> EffectSizes:
        if self.binary:
            table = self.subset(np.ones(len(self.arrays["n_t"]), dtype=bool)).table()  # type: ignore[union-attr]
            return binary_effect_sizes(self.measure, table, drop00=get_convention(self.convention).escalc_drop00)
        a = self.arrays
        return continuous_effect_sizes(self.measure, a["mean_t"], a["sd_t"], a["n_t"], a["mean_c"], a["sd_c"], a["n_c"])

    def fitter(self, spec: ModelSpec, single_trial_estimate: bool = True) -> Callable[[np.ndarray], MetaFit]:
        """A function of a boolean mask that fits the model to those trials (metafor: rma(..., subset=))."""

        def fit(mask: np.ndarray) -> MetaFit:
            data = self.subset(mask)
            if single_trial_estimate and mask.sum() == 1 and spec.method not in COUNT_METHODS:
                # one trial: its own estimate (metafor's rma for k = 1: tau2 = 0, z-based CI)
                return meta_analysis(self.measure, "FE", data, convention=self.convention)
            return meta_analysis(
                self.measure, spec.method, data, hksj=spec.hksj, convention=self.convention, hksj_truncate=spec.truncate
            )

        return fit


def model_specs(settings: AnalysisSettings, binary: bool) -> dict[str, ModelSpec]:
    """The named fits of every outcome (:mod:`pipeline.results.models`). MH and Peto need counts;
    continuous outcomes use inverse variance."""
    fixed = settings.fixed if binary or settings.fixed not in COUNT_METHODS else "FE"
    specs = {}
    for name in fitted_models(settings.hksj):
        m = MODELS[name]
        specs[name] = ModelSpec(settings.random, hksj=m.hksj, truncate=m.truncate) if m.random else ModelSpec(fixed)
    return specs


def headline_model(k: int, fits: dict[str, Fit], settings: AnalysisSettings) -> tuple[str, FewTrials]:
    """The fit every output reports. Normally the random-effects model (HKSJ with the ad hoc truncation,
    never narrower than the z-based interval); with very few trials the review's rule decides."""
    rule = settings.few_trials
    usual = usual_random_model(settings.hksj)
    few = 0 < k <= rule.max_k and rule.headline != "random"
    if k == 1:
        note = "One trial: its own estimate is shown; nothing is pooled."
        return (FIXED if fits.get(FIXED) and fits[FIXED].ok else ""), FewTrials(True, rule.max_k, "fixed", note)
    if few and rule.headline == "none":
        note = (
            f"{k} trials, no more than the {rule.max_k} below which review.yaml says not to pool: "
            "the trials are shown without a pooled estimate."
        )
        return "", FewTrials(True, rule.max_k, "none", note)
    if few:
        note = (
            f"{k} trials: too few to estimate between-trial variance, so the fixed-effect estimate is the headline "
            "(Cochrane Handbook v6.4, 10.10.4); the random-effects estimate is shown beside it."
        )
        chosen = FIXED if fits.get(FIXED) and fits[FIXED].ok else usual
        return chosen, FewTrials(True, rule.max_k, "fixed", note)
    chosen = usual if fits.get(usual) and fits[usual].ok else FIXED
    return chosen, FewTrials(False, rule.max_k, rule.headline, "")


def _outcome_summary(outcome: Outcome) -> OutcomeSummary:
    return OutcomeSummary(
        key=outcome.key,
        label=outcome.label,
        short_label=outcome.short,
        type=outcome.type,
        measure=outcome.measure,
        lower_is_better=outcome.lower_is_better,
        timepoint_label=outcome.timepoint.label,
        rows_from=outcome.rows_from,
        unit=outcome.unit,
        critical=outcome.critical,
        safety=outcome.safety,
    )


def _arms(
    rows: list[dict], outcome: Outcome, config: ReviewConfig, data: ReviewData
) -> tuple[list[dict], list[tuple[Arm, Arm]], list[NotAnalysed]]:
    """Arms of each selected row; continuous rows with a skewed arm move to not analysed."""
    kept, arms, dropped = [], [], []
    labels = {"t": config.labels.intervention, "c": config.labels.comparator}
    for r in rows:
        if outcome.type == "binary":
            kept.append(r)
            arms.append((binary_arm(r, "t"), binary_arm(r, "c")))
            continue
        pair = [continuous_arm(r, arm, config.analysis.median_conversion, labels[arm]) for arm in ("t", "c")]
        skewed = [p for p in pair if isinstance(p, SkewedArm)]
        if skewed:
            study = data.study(r["study_id"])
            dropped.append(NotAnalysed(r["study_id"], study["label"], "; ".join(s.reason for s in skewed), "skewed"))
            continue
        kept.append(r)
        arms.append((pair[0], pair[1]))  # type: ignore[arg-type]
    return kept, arms, dropped


def _arrays(arms: list[tuple[Arm, Arm]], binary: bool) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for i, side in enumerate(("t", "c")):
        out[f"n_{side}"] = np.array([a[i].n for a in arms], dtype=float)
        if binary:
            out[f"events_{side}"] = np.array([a[i].events for a in arms], dtype=float)
        else:
            out[f"mean_{side}"] = np.array([a[i].mean for a in arms], dtype=float)
            out[f"sd_{side}"] = np.array([a[i].sd for a in arms], dtype=float)
    return out


def _study_results(
    rows: list[dict], arms: list[tuple[Arm, Arm]], es: EffectSizes, fits: dict[str, Fit], data: ReviewData, binary: bool
) -> list[StudyResult]:
    out = []
    zero = double = None
    if binary:
        from pipeline.stats.effect_sizes import TwoByTwo

        table = TwoByTwo.from_arms(
            *(np.array(v, dtype=float) for v in zip(*[(t.events, t.n, c.events, c.n) for t, c in arms], strict=True))
        )
        zero, double = table.has_zero_cell, table.is_double_zero
    for i, r in enumerate(rows):
        study = data.study(r["study_id"])
        yi, vi = float(es.yi[i]), float(es.vi[i])
        estimable = math.isfinite(yi) and math.isfinite(vi)
        half = Z_975 * math.sqrt(vi) if estimable else math.nan
        out.append(
            StudyResult(
                study_id=r["study_id"],
                label=study["label"],
                year=study.get("year"),
                design=study.get("design") or "",
                date_published=str(study.get("date_published") or ""),
                groups=dict(study["groups"]),
                timepoint_days=r["timepoint_days"],
                treatment=arms[i][0],
                control=arms[i][1],
                yi=yi if estimable else None,
                vi=vi if estimable else None,
                ci_lower=yi - half if estimable else None,
                ci_upper=yi + half if estimable else None,
                weights={name: (f.weights[i] if isinstance(f, FitSummary) else None) for name, f in fits.items()},
                check=r["check"],
                source=r["source"],
                quote=r["quote"],
                note=r.get("note") or "",
                zero_cell=bool(zero[i]) if zero is not None else False,
                double_zero=bool(double[i]) if double is not None else False,
            )
        )
    return out


def _subgroups(
    config: ReviewConfig, rows: list[dict], data: ReviewData, od: OutcomeData, spec_for
) -> list[SubgroupAnalysis]:
    out = []
    for sg in config.subgroups:
        labels = [data.study(r["study_id"])["groups"][sg.column] for r in rows]
        mask_fit = spec_for  # a callable: mask -> MetaFit, choosing the model for the subgroup's size
        result = subgroup_analysis(labels, mask_fit)
        groups = []
        for g, fitted in result.fits.items():
            ids = [r["study_id"] for r, lab in zip(rows, labels, strict=True) if lab == g]
            groups.append(SubgroupEstimate(group=g, study_ids=ids, fit=as_fit(f"subgroup:{g}", fitted)))
        out.append(
            SubgroupAnalysis(
                column=sg.column,
                title=sg.title,
                groups=groups,
                q_between=None if result.df == 0 else result.q_between,
                df=result.df,
                pvalue=None if result.df == 0 else result.pvalue,
            )
        )
    return out


def analyse_outcome(data: ReviewData, outcome: Outcome) -> OutcomeResult:
    config = data.config
    settings = config.analysis
    convention = get_convention(settings.convention)
    binary = outcome.type == "binary"
    selected, missing = select_rows(data, outcome)
    rows, arms, skewed = _arms(selected, outcome, config, data)
    missing = missing + skewed
    specs = model_specs(settings, binary)
    base = {
        "outcome": _outcome_summary(outcome),
        "convention": settings.convention,
        "convention_description": convention.describe(),
        "models": {"fixed": specs[FIXED].method, "random": settings.random, "hksj": str(settings.hksj).lower()},
        "not_analysed": missing,
        "evidence_checks": {c: sum(1 for r in rows if r["check"] == c) for c in ("primary", "secondary", "derived")},
    }
    if not rows:
        return OutcomeResult(
            **base,
            k=0,
            studies=[],
            fits={},
            headline_model="",
            few_trials=FewTrials(False, settings.few_trials.max_k, settings.few_trials.headline, ""),
            message="No trial reported usable data for this outcome; nothing was pooled.",
        )
    od = OutcomeData(outcome.measure, binary, _arrays(arms, binary), settings.convention)
    es = od.effect_sizes()
    everything = np.ones(len(rows), dtype=bool)
    fits: dict[str, Fit] = {}
    for name, spec in specs.items():
        try:  # the main fits never stand in a single trial's estimate for a pooled one
            fits[name] = fit_summary(name, od.fitter(spec, single_trial_estimate=False)(everything))
        except PoolingError as err:
            fits[name] = FitFailure(model=name, reason=str(err))
    headline, few = headline_model(len(rows), fits, settings)
    head_spec = specs.get(headline or FIXED, specs[FIXED])
    usual_spec = specs[usual_random_model(settings.hksj)]

    def subgroup_fit(mask: np.ndarray) -> MetaFit:
        """The same rule as the overall analysis, applied to the subgroup's own number of trials."""
        k = int(mask.sum())
        few_here = k <= settings.few_trials.max_k and settings.few_trials.headline != "random"
        return od.fitter(specs[FIXED] if few_here else usual_spec)(mask)

    steps_fit = od.fitter(head_spec)
    studies = _study_results(rows, arms, es, fits, data, binary)
    labels = {s.study_id: s for s in studies}

    def step(row: dict, kind: str, fitted: MetaFit | str, participants: int = 0) -> SensitivityStep:
        study = labels[row["study_id"]]
        fit = as_fit(kind, fitted, keep_weights=False)
        return SensitivityStep(study.study_id, study.label, study.date_published, fit, participants=participants)

    loo = [step(r, "leave-one-out", f) for r, f in zip(rows, leave_one_out(len(rows), steps_fit), strict=True)]
    running = np.cumsum([s.participants for s in studies])
    cumul = [
        step(r, "cumulative", f, int(n))
        for r, f, n in zip(rows, cumulative(np.arange(len(rows)), steps_fit), running, strict=True)
    ]
    egger = egger_test(es.yi, es.vi)
    return OutcomeResult(
        **base,
        k=len(rows),
        studies=studies,
        fits=fits,
        headline_model=headline,
        few_trials=few,
        subgroups=_subgroups(config, rows, data, od, subgroup_fit),
        leave_one_out=loo,
        cumulative=cumul,
        egger=EggerResult(
            k=egger.k,
            t=None if math.isnan(egger.t) else egger.t,
            df=egger.df,
            pvalue=None if math.isnan(egger.pvalue) else egger.pvalue,
            reported=egger.reported,
            message=egger.message,
        ),
    )


__all__ = ["ARM_NAMES", "analyse_outcome", "headline_model", "model_specs"]
