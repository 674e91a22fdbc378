"""Tables stage: review.json + results -> Markdown fragments under ``build/<review>/tables/``.

Pages show these fragments and compute nothing. Each fragment is a small file written only when
its content changes, so the render stage can tell exactly which pages an edit touched.
Every string from the data is escaped (:mod:`pipeline.present.to_markdown`); numbers go through
:mod:`pipeline.present.numbers`.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from pipeline.build_system.output_files import write_if_changed
from pipeline.grade.certainty import SofRow, summary_row
from pipeline.inputs.load import ReviewData, read_review_json
from pipeline.present import methods_text
from pipeline.present import numbers as fmt
from pipeline.present.alt_text import forest_alt_text
from pipeline.present.paging import ROWS_PER_PAGE, pages
from pipeline.present.plain_language import evidence_summary, pooled_sentence, summary_statement
from pipeline.present.to_markdown import Markdown, bullets, figure, md, table, text
from pipeline.results.contract import OutcomeResult
from pipeline.results.load import load_index, load_outcome
from pipeline.results.serialise import to_jsonable
from pipeline.tables import outcome_tables, review_tables
from pipeline.tables.summary_of_findings import judgement_check_table, sof_table, sof_table_compact


def sof_rows(data: ReviewData, results: dict[str, OutcomeResult]) -> list[SofRow]:
    """The SoF rows in review.yaml order; with randomised_only, a row of randomised trials under each
    outcome whose body includes non-randomised trials."""
    c = data.config
    graded = data.has_table("grade")
    rows = []

    def worded(row: SofRow, result: OutcomeResult) -> SofRow:
        return dataclasses.replace(row, statement=summary_statement(row.certainty, result, c.labels))

    for key in c.sof_outcomes:
        result = results[key]
        rows.append(
            summary_row(
                result,
                data.grade_judgements(key),
                data.overall_risk_of_bias(key),
                c.grade,
                c.summary_of_findings.assumed_risk.get(key),
                graded=graded,
            )
        )
        rows[-1] = worded(rows[-1], result)
        if result.randomised is not None and result.randomised.k > 0:
            own = data.grade_judgements(f"{key}_randomised")
            rows.append(
                summary_row(
                    result.randomised,
                    own,
                    data.overall_risk_of_bias(key),
                    c.grade,
                    c.summary_of_findings.assumed_risk.get(key),
                    randomised_only=True,
                    graded=graded and bool(own),
                )
            )
            rows[-1] = worded(rows[-1], result.randomised)
    return rows


def key_message(row: SofRow | None, data: ReviewData) -> Markdown:
    """The primary outcome's statement with its numbers and certainty (the brief's first line)."""
    if not data.studies:
        return text("No trials yet: there is no evidence to summarise.")
    if row is None or row.effect is None:
        return text(row.statement if row else "No pooled estimate for the primary outcome.")
    numbers = f"{row.measure} {fmt.effect_ci(row.effect, row.ci_lower, row.ci_upper, row.is_ratio, 'to')}"
    certainty = f"{row.certainty}-certainty evidence" if row.certainty else "not graded"
    return text(
        f"{row.statement} ({row.k} {'trial' if row.k == 1 else 'trials'}, {row.participants:,} participants; {numbers}; {certainty}.)"
    )


def outcome_fragments(result: OutcomeResult, level: str | None, data: ReviewData) -> dict[str, str]:
    key = result.outcome.key
    labels = data.config.labels
    page = {
        "label": result.outcome.label,
        "timepoint": result.outcome.timepoint_label,
        "k": result.k,
        "pages": len(pages(result.k)) if result.k > ROWS_PER_PAGE else 1,
        "subgroups": [[sg.column, sg.title] for sg in result.subgroups] if result.k > 1 else [],
    }
    return {
        f"{key}_page.json": json.dumps(page, indent=1),
        f"{key}_summary.md": text(evidence_summary(result, level, labels)),
        f"{key}_pooled_sentence.md": text(pooled_sentence(result)),
        f"{key}_studies.md": outcome_tables.study_results_table(result, labels),
        f"{key}_pooled.md": outcome_tables.pooled_table(result),
        f"{key}_headline.md": outcome_tables.headline_note(result),
        f"{key}_not_analysed.md": outcome_tables.not_analysed_table(result),
        f"{key}_sensitivity.md": outcome_tables.sensitivity_tables(result),
        f"{key}_provenance.md": outcome_tables.provenance_sentence(result),
        f"{key}_sequential.md": outcome_tables.sequential_table(result)
        or text("No trial sequential analysis for this outcome."),
    }


PRINT_ROWS = 25


def brief_forest(result: OutcomeResult | None, data: ReviewData) -> Markdown:
    """The primary outcome's forest plot for the brief (print size), and where the full plot is."""
    if result is None or not result.studies:
        return text("No trial reported the primary outcome: no forest plot.")
    labels = data.config.labels
    caption = (
        f"{result.outcome.label}: {result.outcome.timepoint_label} ({result.measure}, "
        f"{labels.intervention} versus {labels.comparator})."
    )
    plot = figure(
        f"figures/forest_{result.outcome.key}_print.svg", caption, "fig-forest", forest_alt_text(result, labels)
    )
    if result.k > PRINT_ROWS:
        plot += "\n\n" + text(
            f"The plot shows the first {PRINT_ROWS} of {result.k} trials and the pooled rows (which use all trials); "
            f"the full plot is on the website's page for this outcome ({result.outcome.key.replace('_', '-')})."
        )
    return plot


def certainty_paragraph(data: ReviewData, results: dict[str, OutcomeResult], level: str | None) -> Markdown:
    """What the certainty of the primary outcome means for a reader of the brief (never overclaims)."""
    c = data.config
    primary = results.get(c.primary_outcome)
    if primary is None or not primary.studies:
        return text("")
    nrs = sum(1 for s in primary.studies if s.design != "RCT")
    secondary = primary.evidence_checks.get("secondary", 0) + primary.evidence_checks.get("derived", 0)
    words = {
        "very low": "the true effect may be substantially different from the estimate",
        "low": "the true effect may be substantially different from the estimate",
        "moderate": "the true effect is probably close to the estimate, but may be substantially different",
        "high": "the true effect is very likely close to the estimate",
    }
    parts = [
        md(
            "**What the certainty means.** *{}*{}",
            (level or "Not graded").capitalize(),
            f" certainty means {words[level]}." if level else ": no certainty is claimed.",
        )
    ]
    facts = [f"{primary.k} {'trial' if primary.k == 1 else 'trials'} with {primary.participants:,} participants"]
    if nrs:
        facts.append(f"{nrs} of them non-randomised")
    if secondary:
        facts.append(f"{secondary} resting on another review's table or on arithmetic from reported percentages")
    parts.append(text("The primary outcome rests on " + ", ".join(facts) + "."))
    if level in ("very low", "low", None):
        parts.append(
            text(
                f"This brief should not be used as evidence that {c.labels.intervention} "
                f"{'reduce' if c.labels.intervention_is_plural else 'reduces'} {primary.outcome.label.split(' (')[0].lower()} or cause harm; "
                "the next trial could change the estimate."
            )
        )
    return Markdown(" ".join(parts))


def review_fragments(data: ReviewData, results: dict[str, OutcomeResult], index) -> dict[str, str]:
    c = data.config
    rows = sof_rows(data, results)
    sof, footnotes = sof_table(rows, c.labels)
    primary = next((r for r in rows if r.key == c.primary_outcome and not r.randomised_only), None)
    levels = {r.key: r.certainty for r in rows if not r.randomised_only}
    frags: dict[str, str] = {
        "question.md": Markdown("\n".join(md("- **{}:** {}", k.capitalize(), v) for k, v in c.question.items())),
        "key_message.md": key_message(primary, data),
        "sof.md": Markdown("\n\n".join([sof, *footnotes])),
        "sof_brief.md": sof_table_compact(rows, c.labels),
        "grade_check.md": judgement_check_table(rows),
        "summary_of_findings.json": json.dumps([to_jsonable(dataclasses.asdict(r)) for r in rows], indent=1),
        "included_trials.md": review_tables.characteristics_table(data),
        "included_trials_short.md": review_tables.characteristics_table(data, short=True),
        "included_count.md": review_tables.included_count_sentence(data),
        "references.md": review_tables.references(data),
        "brief_references.md": review_tables.brief_references(data),
        "ongoing.md": review_tables.ongoing_table(data),
        "trial_numbers.md": review_tables.trial_numbers_html(data),
        "provenance_footnote.md": review_tables.provenance_footnote(data),
        "methods_outcomes.md": methods_text.outcomes_table(data),
        "methods_analysis.md": methods_text.analysis_text(data),
        "methods_grade.md": methods_text.grade_text(data),
        "methods_sequential.md": methods_text.sequential_text(data),
        "methods_extraction.md": methods_text.extraction_text(data),
        "software.md": table([{"Software": k, "Version": v} for k, v in index.software.items()]),
        "labels.json": json.dumps(dataclasses.asdict(c.labels)),
        "title_block.md": text(c.subtitle or c.title),
        "brief_title.md": md("**{}**", c.title),
        "brief_forest.md": brief_forest(results.get(c.primary_outcome), data),
        "brief_certainty.md": certainty_paragraph(data, results, levels.get(c.primary_outcome)),
        "rob_intro.md": text(
            "Randomised trials are assessed with RoB 2 (five domains) and non-randomised controlled trials with "
            f"ROBINS-I (seven domains), for {c.outcome(c.rob_outcome).short.lower()}; these judgements stand in for "
            "outcomes not assessed separately. The basis of each judgement is given."
        )
        if data.has_table("risk_of_bias")
        else text(review_tables.NOT_ASSESSED.format(what="risk-of-bias assessment", file="risk_of_bias.csv")),
        "rob2_colourblind_links.md": Markdown(
            "Colour-blind versions: [traffic light](figures/rob2_traffic_light_colourblind.svg), [summary](figures/rob2_summary_colourblind.svg)."
            if any(r["tool"] == "RoB 2" for r in data.table("risk_of_bias"))
            else ""
        ),
        "robins_i_colourblind_links.md": Markdown(
            "Colour-blind versions: [traffic light](figures/robins_i_traffic_light_colourblind.svg), [summary](figures/robins_i_summary_colourblind.svg)."
            if any(r["tool"] == "ROBINS-I" for r in data.table("risk_of_bias"))
            else ""
        ),
        "sof_labels.md": text(
            f"Risks with {c.labels.intervention} are the assumed {c.labels.comparator} risk (median of the trials' "
            f"{c.labels.comparator} arms unless stated) times the pooled relative effect."
        ),
    }
    frags.update({f"{k}.md": v for k, v in review_tables.screening_tables(data).items()})
    frags.update({f"{k}.md": v for k, v in review_tables.risk_of_bias_tables(data).items()})
    primary_result = results.get(c.primary_outcome)
    brief_lines = []
    if primary_result is not None and primary_result.k > 1:
        brief_lines = outcome_tables.subgroup_one_liner(primary_result)
        sens = outcome_tables.sensitivity_one_liner(primary_result)
        if sens:
            brief_lines.append(sens)
        if primary_result.sequential is not None:
            brief_lines.append("Trial sequential analysis (secondary): " + primary_result.sequential.verdict_text)
    frags["brief_checks.md"] = (
        bullets(brief_lines) if brief_lines else text("No subgroup or sensitivity analysis (fewer than two trials).")
    )
    for key, result in results.items():
        frags.update(outcome_fragments(result, levels.get(key), data))
    return frags


def write_tables(review_json: Path, results_dir: Path, out_dir: Path) -> list[Path]:
    start = time.perf_counter()
    data = read_review_json(review_json)
    index = load_index(results_dir)
    results = {o.key: load_outcome(results_dir, o.key) for o in data.config.outcomes}
    frags = review_fragments(data, results, index)
    unwritten = sorted(
        name for name, value in frags.items() if name.endswith(".md") and not isinstance(value, Markdown)
    )
    if unwritten:  # by construction: every fragment a page shows was made by the Markdown writer
        raise TypeError(f"fragments not made by pipeline.present.to_markdown: {', '.join(unwritten)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = [
        name
        for name, value in frags.items()
        if write_if_changed(out_dir / name, str(value) + ("" if value.endswith("\n") else "\n"))
    ]
    for stale in out_dir.iterdir():
        if stale.is_file() and stale.name not in frags:
            stale.unlink()
    print(f"tables: {len(changed)} of {len(frags)} fragments changed ({time.perf_counter() - start:.1f} s)")
    return sorted(out_dir / name for name in frags)
