"""GRADE summary of findings (both starting rules), plain-language statements, PRISMA 2020 counts from
the screening log, and the validator rules behind them."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path

import pytest

from pipeline.analysis.outcome import analyse_outcome
from pipeline.figures.prisma import prisma_counts
from pipeline.grade.certainty import certainty, propose_imprecision, starting_level, summary_row
from pipeline.inputs.load import load_review_data
from pipeline.inputs.validate import validate_data_dir
from pipeline.present.plain_language import certainty_statement
from pipeline.review.config import GradeSettings, Labels
from pipeline.stats.measures import measure

from conftest import ROOT


@pytest.fixture(scope="module")
def review():
    return load_review_data(ROOT / "data")


def test_starting_level_under_guideline_18_and_the_older_rule():
    mixed = ["RCT", "non-randomised controlled"]
    assert starting_level(mixed, "guideline-18") == "high", "GRADE guideline 18: ROBINS-I bodies start high"
    assert starting_level(mixed, "design") == "low" and starting_level(["RCT"], "design") == "high"
    assert certainty("high", {"imprecision": "serious"}) == "moderate"
    assert certainty("high", {"imprecision": "very serious", "risk of bias": "serious"}) == "very low"
    assert certainty("low", {"imprecision": "serious", "indirectness": "serious"}) == "very low"


def test_the_two_rules_give_different_certainty_for_a_mixed_body(review):
    """A body with non-randomised trials rated down once for risk of bias: guideline 18 counts it once."""
    result = analyse_outcome(review, review.config.outcome("mortality"))
    assert any(s.design != "RCT" for s in result.studies)
    recorded = {"risk of bias": ("serious", "ROBINS-I serious")}
    rob = review.overall_risk_of_bias("mortality")
    new = summary_row(result, recorded, rob, GradeSettings(starting_level="guideline-18"))
    old = summary_row(result, recorded, rob, GradeSettings(starting_level="design"))
    assert (new.start, new.certainty) == ("high", "moderate")
    assert (old.start, old.certainty) == ("low", "very low")


def test_methods_page_says_which_rule_is_used(built):
    text = (built / "build" / "tables" / "methods_grade.md").read_text(encoding="utf-8")
    assert "GRADE guideline 18" in text and "starts at high" in text


def test_corresponding_risk_formulas():
    assert measure("RR").corresponding_risk(0.2, 0.5) == pytest.approx(0.1)
    assert measure("OR").corresponding_risk(0.2, 0.5) == pytest.approx(0.5 * 0.2 / (1 - 0.2 + 0.5 * 0.2))
    with pytest.raises(ValueError, match="not defined"):
        measure("MD").corresponding_risk(0.2, 0.5)


def test_statements_follow_certainty_and_effect(review):
    result = analyse_outcome(review, review.config.outcome("mortality"))
    fit = result.headline
    benefit = dataclasses.replace(fit, ci_lower=math.log(0.5), ci_upper=math.log(0.8))
    null = dataclasses.replace(fit, ci_lower=math.log(0.5), ci_upper=math.log(1.4))
    plural = Labels("MSC", "control", True)
    single = Labels("the vaccine", "control", False)
    assert certainty_statement("high", result, benefit, plural) == "MSC reduce all-cause mortality."
    assert certainty_statement("high", result, benefit, single) == "the vaccine reduces all-cause mortality."
    assert certainty_statement("moderate", result, benefit, plural) == "MSC probably reduce all-cause mortality."
    assert (
        certainty_statement("low", result, null, plural)
        == "MSC may result in little to no difference in all-cause mortality."
    )
    assert certainty_statement("very low", result, benefit, plural).startswith("The evidence is very uncertain")
    assert certainty_statement(None, result, benefit, plural).startswith("Not graded")


def test_sof_row_uses_median_control_risk_and_the_headline_estimate(review):
    result = analyse_outcome(review, review.config.outcome("mortality"))
    row = summary_row(
        result,
        review.grade_judgements("mortality"),
        review.overall_risk_of_bias("mortality"),
        review.config.grade,
    )
    risks = sorted((s.control.events or 0) / s.control.n for s in result.studies)
    n = len(risks)
    median = risks[n // 2] if n % 2 else (risks[n // 2 - 1] + risks[n // 2]) / 2
    assert row.assumed_per_1000 == pytest.approx(1000 * median)
    assert row.corresponding_per_1000 == pytest.approx(min(1000, 1000 * median * result.headline.effect))
    assert row.participants == result.participants
    recorded = {d: j for d, (j, _) in review.grade_judgements("mortality").items()}
    assert row.certainty == certainty("high", recorded)
    assert set(row.proposed) == {"risk of bias", "inconsistency", "imprecision"}


def test_imprecision_rule(review):
    result = analyse_outcome(review, review.config.outcome("mortality"))
    grade = GradeSettings()
    wide = dataclasses.replace(result.headline, ci_lower=math.log(0.2), ci_upper=math.log(1.5))
    narrow = dataclasses.replace(result.headline, ci_lower=math.log(0.2), ci_upper=math.log(0.9))
    assert propose_imprecision(result, wide, grade)[0] == "very serious"
    assert propose_imprecision(result, narrow, grade)[0] == "serious"
    assert propose_imprecision(result, narrow, GradeSettings(ois_events=10))[0] == "not serious"


def test_few_trials_rule_is_applied_the_same_way_in_sof_pages_and_brief(built):
    sof = json.loads((built / "build" / "tables" / "summary_of_findings.json").read_text())
    two = next(r for r in sof if r["k"] == 2 and r["effect"] is not None)
    assert two["model"] == "fixed" and two["few_trials_note"]
    page = (built / "_site" / f"outcome-{two['key'].replace('_', '-')}.html").read_text(encoding="utf-8")
    assert "too few to estimate between" in " ".join(page.split())
    assert f"{two['effect']:.2f}" in (built / "build" / "tables" / "sof_brief.md").read_text(encoding="utf-8")
    assert "9767" not in (built / "build" / "tables" / "sof.md").read_text(encoding="utf-8")


def test_prisma_2020_boxes_are_computed_from_the_log(review):
    log = review.table("screening")
    c = prisma_counts(log)
    assert c["identified"] == len(log)
    included = {r["study_id"] for r in log if r["decision"] == "include"}
    assert included == {s["study_id"] for s in review.studies}, "every included trial is in studies.csv and vice versa"
    assert c["screened"] == c["identified"] - c["removed_before_screening"] - c["awaiting_screening"]
    assert c["screened"] == c["excluded_screening"] + c["sought"]
    assert c["sought"] == c["not_retrieved"] + c["assessed"]
    assert c["assessed"] == c["excluded_full_text"] + c["awaiting"] + c["included_reports"]
    assert c["awaiting"] == 0, "no record is left awaiting classification"
    extra = [dict(log[-1], record_id="dup1", duplicate_of=log[0]["record_id"])]
    assert prisma_counts(log + extra)["removed_before_screening"] == c["removed_before_screening"] + 1


def test_prisma_figure_has_the_2020_boxes(built):
    svg = (built / "_site" / "figures" / "prisma.svg").read_text(encoding="utf-8")
    for box in (
        "Records removed before screening",
        "Reports sought for retrieval",
        "Reports not retrieved",
        "Reports assessed for eligibility",
        "Studies awaiting classification",
        "Studies included in review",
    ):
        assert box in svg, box


def _rewrite(path: Path, edit) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    edit(rows)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_rob_tool_must_match_design_and_vocabulary(data_copy):
    def edit(rows):
        rows[0]["tool"] = "ROBINS-I"  # lanzoni2021 is an RCT
        rows[1]["judgement"] = "serious"  # not a RoB 2 word

    _rewrite(data_copy / "risk_of_bias.csv", edit)
    messages = [str(p) for p in validate_data_dir(data_copy)]
    assert any("risk_of_bias.csv:2: tool:" in m and "its tool is RoB 2" in m for m in messages), messages
    assert any("risk_of_bias.csv:3: judgement:" in m and "not a RoB 2 judgement" in m for m in messages), messages


def test_screening_exclusion_needs_reason_and_inclusion_a_known_trial(data_copy):
    def edit(rows):
        next(r for r in rows if r["decision"] == "exclude")["reason"] = ""
        rows[0]["study_id"] = "ghost2020"

    _rewrite(data_copy / "screening.csv", edit)
    messages = [str(p) for p in validate_data_dir(data_copy)]
    assert any("screening.csv" in m and ": reason: an excluded record needs a reason" in m for m in messages), messages
    assert any("screening.csv:2: study_id: unknown study_id 'ghost2020'" in m for m in messages), messages


def test_discrepancies_need_exactly_one_used_reading(data_copy):
    def edit(rows):
        for r in rows:
            r["used"] = "yes"

    _rewrite(data_copy / "discrepancies.csv", edit)
    assert any("readings marked used; mark exactly one" in str(p) for p in validate_data_dir(data_copy))


def test_grade_rows_name_known_outcomes(data_copy):
    _rewrite(data_copy / "grade.csv", lambda rows: rows[0].update(outcome="happiness"))
    assert any("grade.csv:2: outcome: unknown outcome 'happiness'" in str(p) for p in validate_data_dir(data_copy))


def test_provenance_must_match_the_numbers_it_describes(data_copy):
    def edit(rows):
        row = next(r for r in rows if r["outcome"] != "study")
        row["value"] = str(int(row["value"]) + 1000) if row["value"].isdigit() else "999"

    _rewrite(data_copy / "provenance.csv", edit)
    messages = [str(p) for p in validate_data_dir(data_copy)]
    assert any("provenance.csv:" in m and ": value: " in m and "differs from" in m for m in messages), messages


def test_every_analysed_number_needs_its_provenance(data_copy):
    def edit(rows):
        del rows[0]

    _rewrite(data_copy / "provenance.csv", edit)
    messages = [str(p) for p in validate_data_dir(data_copy)]
    assert any("outcomes.csv:" in m and "gives the source of this number" in m for m in messages), messages


def test_sof_json_written_by_tables_stage(built):
    sof = json.loads((built / "build" / "tables" / "summary_of_findings.json").read_text())
    keys = load_review_data(ROOT / "data").config.sof_outcomes
    assert [r["key"] for r in sof if not r["randomised_only"]] == keys
    for row in sof:
        if row.get("certainty"):
            assert row["certainty"] in ("high", "moderate", "low", "very low")
            assert math.isfinite(row["effect"])
