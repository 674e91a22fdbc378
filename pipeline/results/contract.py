"""The results contract: what the analysis stage writes and every later stage reads.

One typed object per outcome (:class:`OutcomeResult`), written as JSON by the analysis
stage and read back with :func:`pipeline.results.serialise.from_json`; its JSON Schema
(:func:`pipeline.results.serialise.json_schema`) is published in the data package.
Like metafor's ``rma`` object, a result knows its measure: nothing downstream recomputes a
null value or re-decides "ratio or difference". A fit that failed is a :class:`FitFailure`,
not a dictionary with an error key.

Estimates of ratio measures are stored on the log scale, as metafor reports them
(``estimate``, ``ci_lower``...); the back-transformed values are properties
(``effect``, ``effect_ci``) and are also written to the JSON for readers of the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipeline.results.models import FIXED
from pipeline.stats.measures import Measure, is_random_method, measure


def to_display(measure_code: str, value: float | None) -> float | None:
    """Back-transform a log-scale value of a ratio measure; differences are returned as they are."""
    return measure(measure_code).to_natural(value)


@dataclass(frozen=True)
class FitSummary:
    """One pooled analysis (metafor ``rma``/``rma.mh``/``rma.peto`` in words)."""

    model: str  # fixed | random | random_hksj | random_hksj_adhoc, or a subgroup / step name
    measure: str
    method: str  # FE, MH, PETO, REML, DL, ...
    hksj: bool
    k: int
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    pi_lower: float
    pi_upper: float
    pi_t_k2_lower: float | None  # Cochrane Handbook prediction interval, t(k-2); None for k < 3
    pi_t_k2_upper: float | None
    iterations: int
    # percent, in the order of OutcomeResult.studies; None = not used; empty for leave-one-out and
    # cumulative steps (the trials' weights are those of the main fits)
    weights: list[float | None]
    status: Literal["ok"] = "ok"

    @property
    def ok(self) -> bool:
        return True

    @property
    def effect(self) -> float:
        return to_display(self.measure, self.estimate)  # type: ignore[return-value]

    @property
    def effect_ci(self) -> tuple[float, float]:
        return to_display(self.measure, self.ci_lower), to_display(self.measure, self.ci_upper)  # type: ignore[return-value]

    @property
    def effect_pi(self) -> tuple[float, float]:
        return to_display(self.measure, self.pi_lower), to_display(self.measure, self.pi_upper)  # type: ignore[return-value]

    @property
    def null_value(self) -> float:
        return measure(self.measure).null

    @property
    def ci_includes_null(self) -> bool:
        lo, hi = self.effect_ci
        return lo <= self.null_value <= hi

    @property
    def z(self) -> float:
        return self.estimate / self.se if self.se > 0 else 0.0

    @property
    def is_random(self) -> bool:
        return is_random_method(self.method)


@dataclass(frozen=True)
class FitFailure:
    """A model that could not be fitted, and why (metafor would stop with this message)."""

    model: str
    reason: str
    status: Literal["failed"] = "failed"

    @property
    def ok(self) -> bool:
        return False


Fit = FitSummary | FitFailure


@dataclass(frozen=True)
class Arm:
    """One arm of one trial as analysed: events/total, or mean/SD/n (with how the mean was obtained)."""

    n: int
    events: int | None = None
    mean: float | None = None
    sd: float | None = None
    conversion: str = ""  # "" = reported mean and SD; else how they were estimated from a median


@dataclass(frozen=True)
class StudyResult:
    study_id: str
    label: str
    year: int | None
    design: str
    date_published: str
    groups: dict[str, str]  # subgroup column -> group label
    timepoint_days: int | None
    treatment: Arm
    control: Arm
    yi: float | None  # per-study estimate (log scale for ratios); None when not estimable
    vi: float | None
    ci_lower: float | None
    ci_upper: float | None
    weights: dict[str, float | None]  # model -> percent weight
    check: str
    source: str
    quote: str
    note: str
    zero_cell: bool = False
    double_zero: bool = False

    @property
    def participants(self) -> int:
        return self.treatment.n + self.control.n


@dataclass(frozen=True)
class NotAnalysed:
    study_id: str
    label: str
    reason: str
    category: str  # not reported | unverified | outside window | skewed | other


@dataclass(frozen=True)
class SubgroupEstimate:
    group: str
    study_ids: list[str]
    fit: Fit


@dataclass(frozen=True)
class SubgroupAnalysis:
    column: str
    title: str
    groups: list[SubgroupEstimate]
    q_between: float | None  # test for subgroup differences (None when fewer than two estimable groups)
    df: int
    pvalue: float | None


@dataclass(frozen=True)
class SensitivityStep:
    """One refit of leave-one-out (``study_id`` omitted) or cumulative analysis (``study_id`` added)."""

    study_id: str
    label: str
    date_published: str
    fit: Fit
    participants: int = 0  # cumulative analysis: participants so far


@dataclass(frozen=True)
class EggerResult:
    k: int
    t: float | None
    df: int
    pvalue: float | None
    reported: bool
    message: str


@dataclass(frozen=True)
class SequentialLook:
    """One trial added in the trial sequential analysis."""

    study_id: str
    label: str
    participants: int  # cumulative
    information_fraction: float
    z: float  # cumulative Z (positive favours the intervention when lower is better... see SequentialAnalysis)
    upper_boundary: float | None  # benefit boundary at this look (None after the required information size)
    lower_boundary: float | None
    futility_upper: float | None
    futility_lower: float | None


@dataclass(frozen=True)
class SequentialAnalysis:
    """Trial sequential analysis (Wetterslev et al. 2008; Lan-DeMets O'Brien-Fleming spending)."""

    alpha: float
    power: float
    relative_risk_reduction: float
    control_event_proportion: float
    control_event_source: str
    heterogeneity: float  # D^2 used
    heterogeneity_source: str
    required_information_size: int
    accrued_information: int
    information_fraction: float
    looks: list[SequentialLook]
    boundary_grid: list[list[float]]  # [fraction, upper, futility_upper] for drawing the curves
    verdict: str  # benefit | harm | futility | not yet conclusive
    verdict_text: str
    z_sign: str  # which direction positive Z favours, in words
    ongoing_participants: int = 0  # planned enrolment of registered trials not yet reported
    ongoing_trials: int = 0


@dataclass(frozen=True)
class FewTrials:
    """The review's rule for very few trials and what it did here."""

    applied: bool
    max_k: int
    headline: str  # fixed | random | none
    note: str


@dataclass(frozen=True)
class OutcomeSummary:
    """The outcome's definition as analysed (from review.yaml)."""

    key: str
    label: str
    short_label: str
    type: str
    measure: str
    lower_is_better: bool
    timepoint_label: str
    rows_from: str
    unit: str = ""
    critical: bool = True
    safety: bool = False


@dataclass(frozen=True)
class OutcomeResult:
    outcome: OutcomeSummary
    convention: str
    convention_description: str
    models: dict[str, str]  # fixed / random method names, and "hksj": "true"/"false"
    k: int
    studies: list[StudyResult]
    not_analysed: list[NotAnalysed]
    fits: dict[str, Fit]
    headline_model: str  # key of ``fits`` the SoF, pages and brief report; "" when nothing is pooled
    few_trials: FewTrials
    subgroups: list[SubgroupAnalysis] = field(default_factory=list)
    leave_one_out: list[SensitivityStep] = field(default_factory=list)
    cumulative: list[SensitivityStep] = field(default_factory=list)
    egger: EggerResult | None = None
    sequential: SequentialAnalysis | None = None
    evidence_checks: dict[str, int] = field(default_factory=dict)
    message: str = ""
    randomised: OutcomeResult | None = None  # the same analysis restricted to randomised trials (SoF option)

    @property
    def measure(self) -> str:
        return self.outcome.measure

    @property
    def is_binary(self) -> bool:
        return self.outcome.type == "binary"

    @property
    def measure_info(self) -> Measure:
        return measure(self.outcome.measure)

    @property
    def is_ratio(self) -> bool:
        return self.measure_info.ratio

    @property
    def null_value(self) -> float:
        return self.measure_info.null

    @property
    def headline(self) -> FitSummary | None:
        fit = self.fits.get(self.headline_model)
        return fit if isinstance(fit, FitSummary) else None

    @property
    def fixed(self) -> FitSummary | None:
        fit = self.fits.get(FIXED)
        return fit if isinstance(fit, FitSummary) else None

    @property
    def participants(self) -> int:
        return sum(s.participants for s in self.studies)

    @property
    def events(self) -> int | None:
        if not self.is_binary:
            return None
        return sum((s.treatment.events or 0) + (s.control.events or 0) for s in self.studies)

    def subgroup(self, column: str) -> SubgroupAnalysis | None:
        for sg in self.subgroups:
            if sg.column == column:
                return sg
        return None


@dataclass(frozen=True)
class OutcomeEntry:
    key: str
    label: str
    k: int
    participants: int


@dataclass(frozen=True)
class ResultsIndex:
    title: str
    outcomes: list[OutcomeEntry]
    n_studies: int
    data_hash: str
    software: dict[str, str]
