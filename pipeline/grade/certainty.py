"""GRADE summary of findings: certainty, absolute effects and the informative statement per outcome.

Pure functions on typed results (:class:`OutcomeResult`) and the judgements in ``grade.csv``.

Sources
-------
- Starting level: by default GRADE guideline 18 (Schünemann HJ et al. J Clin Epidemiol 2019;111:105):
  a body of evidence assessed with ROBINS-I starts at high and is rated down for risk of bias, so
  non-randomised trials are not counted twice. ``grade.starting_level: design`` in review.yaml keeps
  the older rule (randomised evidence starts high, non-randomised low; GRADE Handbook 2013, 5.1).
- Rating down one level per "serious" and two per "very serious" concern (Cochrane Handbook v6.4, ch. 14).
- Absolute effects: corresponding risk = ACR x RR, and for odds ratios ``OR ACR / (1 - ACR + OR ACR)``
  (Cochrane Handbook v6.4, 14.1.5); ACR = median control-group risk of the analysed trials unless
  review.yaml sets a value with its source. Risks above 1000 per 1000 are shown as 1000 (GRADEpro).
- Proposed judgements (rules the pipeline can compute; the team's recorded judgement decides):
  imprecision from the CI and the optimal information size (Guyatt et al. 2011, J Clin Epidemiol
  64:1283); inconsistency from I^2 and the prediction interval (Guyatt et al. 2011, 64:1294); risk of
  bias from the share of weight at high risk (Guyatt et al. 2011, 64:407).
- Statements: worded by :mod:`pipeline.present.plain_language` (Santesso et al. 2020), not here.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from pipeline.results.contract import FitSummary, OutcomeResult
from pipeline.review.config import GradeSettings
from pipeline.stats.measures import measure

DOMAINS = ("risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias")
LEVELS = ("very low", "low", "moderate", "high")
DOWNGRADE = {"not serious": 0, "serious": 1, "very serious": 2}
HIGH_RISK = {"high", "serious", "critical"}
SOME_RISK = {"some concerns", "moderate"}
NOT_RECORDED = ("not serious", "no concern recorded")


def starting_level(designs: list[str], rule: str) -> str:
    """guideline-18: every body starts high (risk of bias is rated with RoB 2 / ROBINS-I); design: high
    when every trial is randomised, low when any is not."""
    if rule == "guideline-18":
        return "high"
    return "high" if designs and all(d == "RCT" for d in designs) else "low"


def certainty(start: str, judgements: dict[str, str]) -> str:
    level = LEVELS.index(start) - sum(DOWNGRADE[j] for j in judgements.values())
    return LEVELS[max(level, 0)]


def propose_imprecision(result: OutcomeResult, fit: FitSummary, grade: GradeSettings) -> tuple[str, str]:
    if result.is_binary:
        size = result.events or 0
        small = size < grade.ois_events
        what = f"{size} events (optimal information size ~{grade.ois_events})"
    else:
        size = result.participants
        small = size < grade.ois_participants
        what = f"{size} participants (optimal information size ~{grade.ois_participants})"
    crosses = fit.ci_includes_null
    ci = "the 95% CI includes no effect" if crosses else "the 95% CI excludes no effect"
    judgement = "very serious" if crosses and small else "serious" if crosses or small else "not serious"
    return judgement, f"{ci}; {what}"


def propose_inconsistency(result: OutcomeResult, fit: FitSummary) -> tuple[str, str]:
    if result.k < 2:
        return "not serious", "single trial: inconsistency cannot be assessed"
    pi_lo, pi_hi = fit.effect_pi
    pi_crosses = pi_lo <= result.null_value <= pi_hi
    i2 = fit.i2
    if i2 >= 75:
        return "very serious", f"I² = {i2:.0f}%"
    if i2 >= 50 or (pi_crosses and not fit.ci_includes_null):
        return "serious", f"I² = {i2:.0f}%" + ("; prediction interval includes no effect" if pi_crosses else "")
    return "not serious", f"I² = {i2:.0f}%"


def propose_risk_of_bias(result: OutcomeResult, overall_rob: dict[str, str], model: str) -> tuple[str, str]:
    weights = {s.study_id: s.weights.get(model) or 0.0 for s in result.studies}
    total = sum(weights.values()) or 1.0
    high = sum(w for sid, w in weights.items() if overall_rob.get(sid) in HIGH_RISK) / total * 100
    some = sum(w for sid, w in weights.items() if overall_rob.get(sid) in SOME_RISK) / total * 100
    unassessed = sum(w for sid, w in weights.items() if sid not in overall_rob) / total * 100
    text = f"{high:.0f}% of the weight at high/serious risk, {some:.0f}% with some concerns/moderate"
    if unassessed:
        text += f", {unassessed:.0f}% not assessed"
    if high >= 50:
        return "very serious", text
    if high >= 20 or high + some + unassessed >= 50:
        return "serious", text
    return "not serious", text


def assumed_control_risk(result: OutcomeResult, setting: dict | None) -> tuple[float, str]:
    if setting and "value" in setting:
        return float(setting["value"]), str(setting.get("source", "set in review.yaml"))
    risks = [(s.control.events or 0) / s.control.n for s in result.studies]
    return statistics.median(risks), f"median control-group risk of the {len(risks)} trials"


@dataclass(frozen=True)
class Proposal:
    judgement: str
    basis: str
    agrees: bool


@dataclass(frozen=True)
class SofRow:
    """Everything one summary-of-findings row shows (GRADEpro's columns), plus the rule checks."""

    key: str
    label: str
    timepoint: str
    measure: str
    k: int
    participants: int
    statement: str = ""  # the GRADE informative statement, worded by pipeline.present.plain_language
    certainty: str | None = None  # None: not pooled or not graded
    start: str = ""
    judgements: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    missing_judgements: list[str] = field(default_factory=list)
    proposed: dict[str, Proposal] = field(default_factory=dict)
    effect: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    model: str = ""
    few_trials_note: str = ""
    assumed_per_1000: float | None = None
    assumed_source: str = ""
    corresponding_per_1000: float | None = None
    corresponding_ci_per_1000: tuple[float, float] | None = None
    difference_per_1000: float | None = None
    difference_ci_per_1000: tuple[float, float] | None = None
    assumed_mean: float | None = None
    unit: str = ""
    sequential_verdict: str = ""
    randomised_only: bool = False
    graded: bool = True

    @property
    def is_ratio(self) -> bool:
        return measure(self.measure).ratio


def summary_row(
    result: OutcomeResult,
    recorded: dict[str, tuple[str, str]],
    overall_rob: dict[str, str],
    grade: GradeSettings,
    acr_setting: dict | None = None,
    randomised_only: bool = False,
    graded: bool = True,
) -> SofRow:
    """One SoF row. ``graded`` is False when the review has no grade.csv: no certainty is claimed."""
    label = result.outcome.short_label + (", randomised trials only" if randomised_only else "")
    base = {
        "key": result.outcome.key,
        "label": label,
        "timepoint": result.outcome.timepoint_label,
        "measure": result.measure,
        "k": result.k,
        "participants": result.participants,
        "unit": result.outcome.unit,
        "randomised_only": randomised_only,
        "graded": graded,
    }
    fit = result.headline
    if fit is None:
        return SofRow(**base)
    judgements = {d: recorded.get(d, NOT_RECORDED)[0] for d in DOMAINS}
    proposals = {
        "risk of bias": propose_risk_of_bias(result, overall_rob, result.headline_model),
        "inconsistency": propose_inconsistency(result, fit),
        "imprecision": propose_imprecision(result, fit, grade),
    }
    start = starting_level([s.design for s in result.studies], grade.starting_level)
    level = certainty(start, judgements) if graded else None
    row = {
        **base,
        "start": start,
        "certainty": level,
        "judgements": judgements,
        "reasons": {d: recorded.get(d, NOT_RECORDED)[1] for d in DOMAINS},
        "missing_judgements": [d for d in DOMAINS if d not in recorded] if graded else [],
        "proposed": {d: Proposal(j, why, judgements[d] == j) for d, (j, why) in proposals.items()},
        "effect": fit.effect,
        "ci_lower": fit.effect_ci[0],
        "ci_upper": fit.effect_ci[1],
        "model": result.headline_model,
        "few_trials_note": result.few_trials.note if result.few_trials.applied else "",
        "sequential_verdict": result.sequential.verdict_text if result.sequential else "",
    }
    if result.is_binary and result.measure_info.has_absolute_risks:
        acr, source = assumed_control_risk(result, acr_setting)
        per = {
            name: min(1000.0, 1000 * result.measure_info.corresponding_risk(acr, value))
            for name, value in (("effect", fit.effect), ("lo", fit.effect_ci[0]), ("hi", fit.effect_ci[1]))
        }
        row.update(
            assumed_per_1000=1000 * acr,
            assumed_source=source,
            corresponding_per_1000=per["effect"],
            corresponding_ci_per_1000=(per["lo"], per["hi"]),
            difference_per_1000=per["effect"] - 1000 * acr,
            difference_ci_per_1000=(per["lo"] - 1000 * acr, per["hi"] - 1000 * acr),
        )
    elif not result.is_binary:
        means = [s.control.mean for s in result.studies if s.control.mean is not None]
        if means:
            row.update(
                assumed_mean=statistics.median(means),
                assumed_source=f"median control-group mean of the {len(means)} trials",
            )
    return SofRow(**row)


__all__ = ["DOMAINS", "LEVELS", "SofRow", "certainty", "starting_level", "summary_row"]
