"""GRADE summary of findings: certainty, absolute effects and plain-language statements.

Pure functions on analysis results (dicts from ``build/results``) and the judgements
recorded in ``data/grade.csv``.

Sources
-------
- Certainty: start high for randomised evidence, low for non-randomised; down one level per
  "serious" and two per "very serious" concern (Schünemann et al., GRADE Handbook 2013, 5.1;
  Cochrane Handbook v6.4, ch. 14).
- Absolute effects: corresponding risk = ACR x RR, and for odds ratios
  ``OR ACR / (1 - ACR + OR ACR)`` (Cochrane Handbook v6.4, 14.1.5); assumed control risk (ACR)
  = median control-group risk of the analysed trials unless review.yaml sets a value with its source.
- Proposed judgements (rules the pipeline can compute; the team's recorded judgement rules):
  imprecision from the CI crossing no effect and the optimal information size of ~300 events
  (Guyatt et al. 2011, J Clin Epidemiol 64:1283); inconsistency from I^2 >= 50% or a prediction
  interval crossing no effect when the CI does not (Guyatt et al. 2011, J Clin Epidemiol 64:1294);
  risk of bias from the share of weight at high risk (RoB 2 "high", ROBINS-I "serious"/"critical")
  (Guyatt et al. 2011, J Clin Epidemiol 64:407).
- Plain-language statements: Santesso N et al. (2020) "GRADE guidelines 26: informative
  statements to communicate the findings of systematic reviews", J Clin Epidemiol 119:126.
"""

from __future__ import annotations

import statistics

DOMAINS = ("risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias")
LEVELS = ("very low", "low", "moderate", "high")
DOWNGRADE = {"not serious": 0, "serious": 1, "very serious": 2}
OPTIMAL_INFORMATION_EVENTS = 300
OPTIMAL_INFORMATION_PATIENTS = 400
HIGH_RISK = {"high", "serious", "critical"}
SOME_RISK = {"some concerns", "moderate"}


def starting_level(designs: list[str]) -> str:
    """High when every analysed trial is randomised; low when any is not (the body of evidence then
    rests partly on non-randomised comparisons)."""
    return "high" if designs and all(d == "RCT" for d in designs) else "low"


def certainty(start: str, judgements: dict[str, str]) -> str:
    level = LEVELS.index(start) - sum(DOWNGRADE[j] for j in judgements.values())
    return LEVELS[max(level, 0)]


def null_value(measure: str) -> float:
    return 1.0 if measure in ("RR", "OR") else 0.0


def propose_imprecision(result: dict, fit: dict) -> tuple[str, str]:
    null = null_value(result["outcome"]["measure"])
    crosses = fit["ci_lower_display"] <= null <= fit["ci_upper_display"]
    if result["outcome"]["type"] == "binary":
        size = sum(s["events_t"] + s["events_c"] for s in result["studies"])
        small = size < OPTIMAL_INFORMATION_EVENTS
        what = f"{size} events (optimal information size ~{OPTIMAL_INFORMATION_EVENTS})"
    else:
        size = sum(s["n_t"] + s["n_c"] for s in result["studies"])
        small = size < OPTIMAL_INFORMATION_PATIENTS
        what = f"{size} patients (optimal information size ~{OPTIMAL_INFORMATION_PATIENTS})"
    ci = "the 95% CI includes no effect" if crosses else "the 95% CI excludes no effect"
    judgement = "very serious" if crosses and small else "serious" if crosses or small else "not serious"
    return judgement, f"{ci}; {what}"


def propose_inconsistency(result: dict, fit: dict) -> tuple[str, str]:
    if result["k"] < 2:
        return "not serious", "single trial: inconsistency cannot be assessed"
    null = null_value(result["outcome"]["measure"])
    ci_crosses = fit["ci_lower_display"] <= null <= fit["ci_upper_display"]
    pi_crosses = fit["pi_lower_display"] <= null <= fit["pi_upper_display"]
    i2 = fit["i2"]
    if i2 >= 75:
        return "very serious", f"I² = {i2:.0f}%"
    if i2 >= 50 or (pi_crosses and not ci_crosses):
        return "serious", f"I² = {i2:.0f}%" + ("; prediction interval includes no effect" if pi_crosses else "")
    return "not serious", f"I² = {i2:.0f}%"


def propose_risk_of_bias(result: dict, overall_rob: dict[str, str], model: str) -> tuple[str, str]:
    weights = {s["study_id"]: s.get(f"weight_{model}") or 0.0 for s in result["studies"]}
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


def assumed_control_risk(result: dict, setting: dict | None) -> tuple[float, str]:
    """Median control-group risk of the analysed trials, or the value review.yaml sets (with its source)."""
    if setting and "value" in setting:
        return float(setting["value"]), str(setting.get("source", "set in review.yaml"))
    risks = [s["events_c"] / s["n_c"] for s in result["studies"]]
    return statistics.median(risks), f"median control-group risk of the {len(risks)} trials"


def corresponding_risk(acr: float, effect: float, measure: str) -> float:
    if measure == "RR":
        return acr * effect
    if measure == "OR":
        return effect * acr / (1 - acr + effect * acr)
    raise ValueError(f"absolute effects are defined here for RR and OR, not {measure}")


def plain_language_statement(level: str, result: dict, fit: dict, intervention: str = "MSC") -> str:
    """GRADE informative statement (Santesso 2020): wording from certainty and whether the CI shows an effect."""
    label = result["outcome"]["label"].split(" (")[0].lower()
    null = null_value(result["outcome"]["measure"])
    if level == "very low":
        return f"The evidence is very uncertain about the effect of {intervention} on {label}."
    no_effect = fit["ci_lower_display"] <= null <= fit["ci_upper_display"]
    verb = {"high": "", "moderate": "probably ", "low": "may "}[level]
    if no_effect:
        return f"{intervention} {verb}make little or no difference to {label}."  # MSC: plural (cells)
    direction = "reduce" if fit["ci_upper_display"] < null else "increase"
    return f"{intervention} {verb}{direction} {label}."


def summary_row(
    result: dict, recorded: dict[str, tuple[str, str]], overall_rob: dict[str, str], acr_setting: dict | None = None
) -> dict:
    """Everything one SoF row shows, plus the proposed judgements and whether the recorded ones agree."""
    outcome = result["outcome"]
    row: dict = {
        "key": outcome["key"],
        "label": outcome.get("short_label") or outcome["label"],
        "timepoint": outcome["timepoint"].get("label", ""),
        "measure": outcome["measure"],
        "k": result["k"],
        "participants": sum(s["n_t"] + s["n_c"] for s in result["studies"]),
    }
    fit = result.get("fits", {}).get(result.get("headline_model"), {})
    if not result["studies"] or not fit or "error" in fit:
        row.update({"certainty": None, "statement": f"No trial reported usable data on {outcome['label'].lower()}."})
        return row
    designs = [s["design"] for s in result["studies"]]
    start = starting_level(designs)
    judgements = {d: recorded.get(d, ("not serious", "no concern recorded"))[0] for d in DOMAINS}
    proposals = {
        "risk of bias": propose_risk_of_bias(result, overall_rob, result["headline_model"]),
        "inconsistency": propose_inconsistency(result, fit),
        "imprecision": propose_imprecision(result, fit),
    }
    level = certainty(start, judgements)
    row.update(
        {
            "start": start,
            "certainty": level,
            "judgements": judgements,
            "reasons": {d: recorded.get(d, ("not serious", "no concern recorded"))[1] for d in DOMAINS},
            "missing_judgements": [d for d in DOMAINS if d not in recorded],
            "proposed": {
                d: {"judgement": j, "basis": why, "agrees": judgements[d] == j} for d, (j, why) in proposals.items()
            },
            "effect": fit["estimate_display"],
            "ci_lower": fit["ci_lower_display"],
            "ci_upper": fit["ci_upper_display"],
            "model": result["headline_model"],
            "statement": plain_language_statement(level, result, fit),
        }
    )
    if outcome["type"] == "binary" and outcome["measure"] in ("RR", "OR"):
        acr, acr_source = assumed_control_risk(result, acr_setting)
        # a risk cannot exceed 1: an upper limit of ACR x RR above 1000 per 1000 is shown as 1000 (as GRADEpro does)
        per1000 = {
            k: min(1000.0, 1000 * corresponding_risk(acr, row[k], outcome["measure"]))
            for k in ("effect", "ci_lower", "ci_upper")
        }
        row.update(
            {
                "assumed_per_1000": 1000 * acr,
                "assumed_source": acr_source,
                "corresponding_per_1000": per1000["effect"],
                "corresponding_ci_per_1000": (per1000["ci_lower"], per1000["ci_upper"]),
                "difference_per_1000": per1000["effect"] - 1000 * acr,
                "difference_ci_per_1000": (per1000["ci_lower"] - 1000 * acr, per1000["ci_upper"] - 1000 * acr),
            }
        )
    else:
        control_means = [s["mean_c"] for s in result["studies"]]
        row.update(
            {
                "assumed_mean": statistics.median(control_means),
                "assumed_source": f"median control-group mean of the {len(control_means)} trials",
            }
        )
    return row
