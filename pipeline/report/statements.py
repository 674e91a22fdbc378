"""Plain-language reading of a pooled result, chosen by rules rather than written by hand.

The rules are deliberately conservative (Cochrane Handbook v6.4, ch. 14-15; GRADE
guidance on imprecision, Guyatt et al. 2011 J Clin Epidemiol 64:1283): with fewer than
300 events the optimal information size is not met, so the evidence is at best of low
certainty for imprecision alone; a CI that includes no effect means the direction of
the effect is uncertain.
"""

from __future__ import annotations

OPTIMAL_INFORMATION_EVENTS = 300  # GRADE rule of thumb for dichotomous outcomes
NUMBER_WORDS = dict(enumerate(["No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]))


def total_events(result: dict) -> tuple[int | None, int]:
    """Events (None for continuous outcomes) and patients across the analysed trials."""
    patients = sum(s["n_t"] + s["n_c"] for s in result["studies"])
    if result["outcome"]["type"] != "binary":
        return None, patients
    return sum(s["events_t"] + s["events_c"] for s in result["studies"]), patients


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}"


def pooled_sentence(result: dict) -> str:
    """One sentence with the headline pooled estimate, its model and CI."""
    fit = result.get("fits", {}).get(result.get("headline_model"), {})
    if not fit or "error" in fit:
        return "No pooled estimate could be computed."
    measure = result["outcome"]["measure"]
    if result["k"] == 1:
        return (
            f"In the only trial, the {measure} was {fmt_ratio(fit['estimate_display'])} "
            f"(95% CI {fmt_ratio(fit['ci_lower_display'])} to {fmt_ratio(fit['ci_upper_display'])}); nothing was pooled."
        )
    return (
        f"The pooled {measure} was {fmt_ratio(fit['estimate_display'])} "
        f"(95% CI {fmt_ratio(fit['ci_lower_display'])} to {fmt_ratio(fit['ci_upper_display'])}; "
        f"{result['models']['random']} random effects with the Hartung-Knapp-Sidik-Jonkman adjustment)"
        if result.get("headline_model", "").startswith("random_hksj")
        else f"The pooled {measure} was {fmt_ratio(fit['estimate_display'])} "
        f"(95% CI {fmt_ratio(fit['ci_lower_display'])} to {fmt_ratio(fit['ci_upper_display'])})"
    ) + "."


def plain_language(result: dict, intervention: str = "MSC") -> str:
    """Two sentences: what the trials show and how certain it is."""
    label = result["outcome"]["label"].lower()
    k = result["k"]
    if k == 0:
        return f"No trial reported usable data on {label}."
    events, patients = total_events(result)
    fit = result.get("fits", {}).get(result.get("headline_model"), {})
    trials = "trial" if k == 1 else "trials"
    count = NUMBER_WORDS.get(k, str(k))
    size = f"{patients} patients" + ("" if events is None else f", {events} events")
    first = f"{count} {trials} ({size}) reported {label}. " + pooled_sentence(result)
    if not fit or "error" in fit:
        return first
    null = 1.0 if result["outcome"]["measure"] in ("RR", "OR") else 0.0
    crosses_null = fit["ci_lower_display"] <= null <= fit["ci_upper_display"]
    # continuous outcomes: GRADE's optimal information size is ~400 patients (Guyatt 2011)
    few_events = (events if events is not None else patients) < (
        OPTIMAL_INFORMATION_EVENTS if events is not None else 400
    )
    direction = "reduce" if fit["ci_upper_display"] < null else "increase"
    if crosses_null:
        second = (
            f"The confidence interval includes both a large benefit and harm, so we do not know whether {intervention} "
            f"change {label}: the evidence is very uncertain."
        )
    elif few_events:
        amount = (
            f"{events} events in total (far fewer than the ~{OPTIMAL_INFORMATION_EVENTS} needed for a precise estimate)"
            if events is not None
            else f"{patients} patients in total"
        )
        second = (
            f"{intervention} may {direction} {label}, but the evidence is very uncertain: the trials are few and small, "
            f"with {amount}."
        )
    else:
        second = f"{intervention} may {direction} {label}; the certainty of the evidence has not yet been graded."
    return f"{first} {second}"
