"""The methods page's text, written from review.yaml so that it always says what was run."""

from __future__ import annotations

from pipeline.inputs.load import ReviewData
from pipeline.present import numbers as fmt
from pipeline.present.to_markdown import Markdown, bullets, md, table, text
from pipeline.stats.conventions import get_convention

FIXED_WORDS = {
    "MH": "Mantel-Haenszel on the raw counts (metafor rma.mh)",
    "FE": 'inverse-variance fixed effect (metafor rma, method = "FE")',
    "PETO": "Peto's one-step odds ratio (metafor rma.peto)",
}
RANDOM_WORDS = {
    "REML": "restricted maximum likelihood (REML)",
    "DL": "DerSimonian-Laird",
    "PM": "Paule-Mandel",
    "ML": "maximum likelihood",
    "SJ": "Sidik-Jonkman",
    "HE": "Hedges",
}


def outcomes_table(data: ReviewData) -> Markdown:
    rows = []
    for o in data.config.outcomes:
        tp = o.timepoint
        window = f"days {tp.min_days}-{tp.max_days}" + (
            f", closest to day {tp.target_days}" if tp.select == "closest" else ", longest"
        )
        if tp.accept_undated:
            window += "; undated counts taken as end of study"
        rows.append(
            {
                "Outcome": o.label,
                "Measure": f"{o.measure} ({fmt.measure_name(o.measure)})",
                "Time point": tp.label or window,
                "Rule": window + (f"; rows of '{o.rows_from}'" if o.rows_from else ""),
                "Better": "lower" if o.lower_is_better else "higher",
            }
        )
    return table(rows)


def analysis_text(data: ReviewData) -> Markdown:
    c = data.config
    a = c.analysis
    convention = get_convention(a.convention)
    few = a.few_trials
    few_text = {
        "fixed": f"with {few.max_k} or fewer trials the headline is the fixed-effect estimate, the random-effects one shown beside it",
        "random": "the random-effects model is the headline whatever the number of trials",
        "none": f"with {few.max_k} or fewer trials nothing is pooled; the trials are shown side by side",
    }[few.headline]
    conversion = a.median_conversion
    items: list[tuple[str, str]] = [
        ("Fixed effect.", f"{FIXED_WORDS[a.fixed]} for binary outcomes; inverse variance for continuous outcomes."),
        (
            "Random effects.",
            f"{RANDOM_WORDS[a.random]} for τ²"
            + (
                ", with the Hartung-Knapp-Sidik-Jonkman (HKSJ) adjustment and t(k−1) quantiles; the headline interval uses "
                'the ad hoc truncation (never narrower than the z-based interval; metafor test = "adhoc").'
                if a.hksj
                else ", z-based confidence intervals."
            ),
        ),
        (
            "Very few trials.",
            f"Following the Cochrane Handbook (v6.4, 10.10.4; Bender et al. 2018), {few_text}. "
            "The same headline model is used in the summary of findings, on the outcome pages and in the brief.",
        ),
        ("Conventions.", f"{convention.describe()}"),
        (
            "Heterogeneity.",
            "Cochran's Q, τ², I² (τ²-based for random-effects models in metafor's convention; the "
            "Q-based I² that RevMan reports is given under each forest plot) and the 95% prediction interval.",
        ),
        (
            "Medians.",
            "Means and SDs are estimated from medians with IQR and/or range (Luo 2018; Wan 2014; Shi 2020), "
            + (
                "after the test for skewness of Shi et al. (2023) as in metafor's conv.fivenum: "
                + (
                    "a skewed arm is converted but flagged."
                    if conversion.convert_skewed
                    else "a trial with a skewed arm is not converted and is listed as not analysed, with the test's numbers."
                )
                if conversion.skewness_test
                else "without a test for skewness."
            ),
        ),
        (
            "Sensitivity.",
            "Leave-one-out and cumulative meta-analysis (in order of publication), subgroups with the "
            "test for subgroup differences; Egger's test and the funnel plot only from ten trials (Cochrane Handbook 13.3.5.4).",
        ),
        (
            "Parity.",
            "The test suite compares every pooled number with R's metafor, run live, to a relative tolerance of 1e-6.",
        ),
    ]
    if c.subgroups:
        described = [
            f"{sg.title} (column {sg.column}"
            + (
                f": {', '.join(f'{k} = {chr(44).join(v)}' for k, v in sg.groups.items())}, otherwise {sg.other}"
                if sg.groups
                else ""
            )
            + ")"
            for sg in c.subgroups
        ]
        items.append(("Subgroups.", "; ".join(described) + "."))
    return bullets(md("**{}** {}", heading, body) for heading, body in items)


def grade_text(data: ReviewData) -> Markdown:
    g = data.config.grade
    start = (
        "Following GRADE guideline 18 (Schünemann et al. 2019, J Clin Epidemiol 111:105), every body of evidence "
        "starts at high certainty: randomised trials are assessed with RoB 2 and non-randomised trials with ROBINS-I, "
        "and risk of bias is rated down from there, so non-randomised evidence is not penalised twice."
        if g.starting_level == "guideline-18"
        else "Certainty starts high when every analysed trial is randomised and low when any is not (the rule before "
        "GRADE guideline 18; set in review.yaml)."
    )
    if not data.has_table("grade"):
        return md("{}\n\nNo GRADE judgements are recorded (grade.csv is absent): no certainty is claimed.", start)
    return text(
        start
        + " Certainty is rated down one level for each serious and two for each very serious concern in risk of bias, "
        "inconsistency, indirectness, imprecision and publication bias. The team's judgements and reasons are in "
        "grade.csv and are the footnotes of the summary-of-findings table. For three domains the pipeline proposes a "
        f"judgement by rule (imprecision from the interval and the optimal information size of ~{g.ois_events} events "
        f"or ~{g.ois_participants} participants; inconsistency from I² and the prediction interval; risk of bias from "
        "the share of the analysis weight at high risk); the table below shows whether the recorded judgement agrees. "
        "Absolute effects use the median control-group risk of the trials unless review.yaml sets an assumed risk "
        "with its source. Statements follow GRADE's informative-statement wording (Santesso et al. 2020)."
    )


def sequential_text(data: ReviewData) -> Markdown:
    c = data.config
    if not c.sequential:
        return text("No trial sequential analysis is set up in review.yaml.")
    rows = [
        {
            "Outcome": c.outcome(key).short,
            "Alpha (two-sided)": f"{s.alpha:g}",
            "Power": f"{s.power:.0%}",
            "Relative risk reduction": f"{s.relative_risk_reduction:.0%}",
            "Control event proportion": s.control_event_proportion
            if isinstance(s.control_event_proportion, str)
            else f"{s.control_event_proportion:.1%}",
            "Heterogeneity": "diversity D²" if s.heterogeneity == "diversity" else f"D² = {s.heterogeneity:.0%}",
        }
        for key, s in c.sequential.items()
    ]
    fixed = (
        f" The settings were fixed on {c.sequential_settings_fixed}; a later change is listed as a methods change in the edition log."
        if c.sequential_settings_fixed
        else ""
    )
    return md(
        "{}\n\n{}",
        (
            "Trial sequential analysis (TSA) is shown as a secondary display beside GRADE: the Cochrane Handbook (v6.4, "
            "chapter 22) advises against basing a review's conclusions on it. The required information size is "
            "4 (z₁₋α/₂ + z₁₋β)² p(1−p)/δ² participants, adjusted by 1/(1−D²) (Wetterslev et al. 2008, 2009); the "
            "Z-curve is that of the random-effects model after each trial in order of publication; monitoring "
            "boundaries are Lan-DeMets O'Brien-Fleming alpha spending (two-sided), and the futility wedge is non-binding "
            "O'Brien-Fleming beta spending of a one-sided test in each direction, computed as R's rpact computes them "
            "(checked against rpact in the test suite). Boundaries beyond Z = 8 (less than about 8% of the required "
            "information) are not drawn; futility from 10% of the information." + fixed
        ),
        table(rows),
    )


def extraction_text(data: ReviewData) -> Markdown:
    has_provenance = data.has_table("provenance")
    words = (
        "Every number carries its source, the quoted sentence or table cell and how it was checked: primary (read "
        "in the trial's own report or registry record), secondary (another review's table only), derived (arithmetic "
        "shown in the data) or unverified (not analysed)."
    )
    if has_provenance:
        words += (
            " Where one row's numbers come from more than one source, provenance.csv records each number's own source "
            "and locator, and the validator checks that every analysed number has one."
        )
    if data.has_table("discrepancies"):
        words += " Where sources disagree, discrepancies.csv records every reading, the one used and why."
    if data.extraction:
        n = data.extraction
        total = sum(n.values())
        words += (
            " Data were extracted twice, independently, on the same form (extraction/A and extraction/B in the data "
            f"folder): of {total} values, {n.get('agree', 0)} agreed, {n.get('partly agree', 0)} partly agreed, "
            f"{n.get('disagree', 0)} disagreed and {n.get('only first', 0) + n.get('only second', 0)} were found by one "
            "extractor only (python -m pipeline extraction compares them). Every disagreement and every single-extractor "
            "value was checked against its quoted source by a third reviewer; the resolutions are in discrepancies.csv."
        )
        if data.extraction_note:
            words += " " + data.extraction_note
    return text(words)
