"""Every sentence about an effect, from one rule set: GRADE informative statements.

Santesso N, Glenton C, Dahm P, et al. GRADE guidelines 26: informative statements to communicate
the findings of systematic reviews of interventions. J Clin Epidemiol 2020;119:126-135.

==================  =========================================  =============================================
certainty           an effect (the 95% CI excludes no effect)  little or no effect (the CI includes no effect)
==================  =========================================  =============================================
high                X reduces / increases Y                    X results in little to no difference in Y
moderate            X probably reduces / increases Y           X probably results in little to no difference
low                 X may reduce / increase Y                  X may result in little to no difference in Y
very low            The evidence is very uncertain about the effect of X on Y.
==================  =========================================  =============================================

Without a GRADE rating (no judgements recorded) a result is described without a certainty word
and says so. Nothing else in the code words an effect.
"""

from __future__ import annotations

from pipeline.present import numbers as fmt
from pipeline.results.contract import FitSummary, OutcomeResult
from pipeline.results.models import model
from pipeline.review.config import Labels

HEDGES = {"high": "", "moderate": "probably ", "low": "may "}


def lower_first(text: str) -> str:
    """'All-cause mortality' -> 'all-cause mortality'; 'HIV infection' and 'PROVE IT' stay as they are."""
    return text[:1].lower() + text[1:] if text and not text[:2].isupper() else text


def outcome_phrase(result: OutcomeResult) -> str:
    """'all-cause mortality' from 'All-cause mortality (longest follow-up)'."""
    return lower_first(result.outcome.label.split(" (")[0])


def _verb(base: str, labels: Labels, hedge: str) -> str:
    """Agreement: 'MSC reduce' (plural), 'the vaccine reduces', 'may reduce' (after a hedge)."""
    if hedge or labels.intervention_is_plural:
        return base
    if base.endswith("ult"):  # result
        return base + "s"
    return base + ("es" if base.endswith(("ss", "sh", "ch", "x")) else "s")


def direction(result: OutcomeResult, fit: FitSummary) -> str:
    """'reduce' or 'increase' (the measure's direction, whatever is better), or '' when the CI includes no effect."""
    if fit.ci_includes_null:
        return ""
    lo, hi = fit.effect_ci
    return "reduce" if hi < result.null_value else "increase"


def certainty_statement(level: str | None, result: OutcomeResult, fit: FitSummary | None, labels: Labels) -> str:
    """The GRADE informative statement for one outcome."""
    what = outcome_phrase(result)
    x = labels.intervention
    if fit is None:
        return f"No pooled estimate of the effect of {x} on {what} is available."
    if level == "very low":
        return f"The evidence is very uncertain about the effect of {x} on {what}."
    hedge = HEDGES.get(level or "", "")
    way = direction(result, fit)
    if level is None:
        way_text = (
            f"{x} {_verb('make', labels, '')} little or no difference to {what}"
            if not way
            else f"{x} {_verb(way, labels, '')} {what}"
        )
        return f"Not graded: the trials suggest {lower_first(way_text)}."
    if not way:
        return f"{x} {hedge}{_verb('result', labels, hedge)} in little to no difference in {what}."
    return f"{x} {hedge}{_verb(way, labels, hedge)} {what}."


def summary_statement(level: str | None, result: OutcomeResult, labels: Labels) -> str:
    """What a summary-of-findings row says happens: the informative statement, or why there is none."""
    if result.headline is None:
        what = result.outcome.label.split(" (")[0].lower()
        if result.k and result.few_trials.headline == "none":
            return result.few_trials.note
        return f"No trial reported usable data on {what}."
    return certainty_statement(level, result, result.headline, labels)


def pooled_sentence(result: OutcomeResult) -> str:
    """One sentence with the headline estimate, its model and interval (the numbers behind a statement)."""
    fit = result.headline
    if fit is None:
        if result.k and result.few_trials.applied and result.few_trials.headline == "none":
            return result.few_trials.note
        return "No pooled estimate could be computed."
    est = fmt.effect(fit.effect, result.is_ratio)
    ci = fmt.interval(*fit.effect_ci, ratio=result.is_ratio)
    name = fmt.measure_name(result.measure)
    if result.k == 1:
        return f"In the only trial, the {name} was {est} (95% CI {ci}); nothing was pooled."
    model = model_words(result, result.headline_model)
    return f"The pooled {name} was {est} (95% CI {ci}; {model})."


def model_words(result: OutcomeResult, name: str) -> str:
    return model(name).words_for(result.models)


def evidence_summary(result: OutcomeResult, level: str | None, labels: Labels) -> str:
    """What an outcome page says first: how much evidence, the pooled number, and the certainty statement."""
    what = outcome_phrase(result)
    if result.k == 0:
        return f"No trial reported usable data on {what}."
    size = f"{fmt.count(result.participants)} participants"
    if result.is_binary:
        size += f", {fmt.count(result.events)} events"
    first = f"{fmt.spell_count(result.k, 'trial')} ({size}) reported {what}. {pooled_sentence(result)}"
    if result.few_trials.applied and result.k > 1 and result.few_trials.headline != "none":
        first += " " + result.few_trials.note
    statement = certainty_statement(level, result, result.headline, labels)
    certainty = f" Certainty of the evidence: {level}." if level else ""
    return f"{first} {statement}{certainty}"
