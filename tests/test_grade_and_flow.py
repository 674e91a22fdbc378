"""GRADE summary of findings, PRISMA counts from the screening log, and the validator rules behind them."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import yaml

from pipeline.analyse import analyse_outcome
from pipeline.figures.prisma import prisma_counts
from pipeline.grade import (
    certainty,
    corresponding_risk,
    plain_language_statement,
    propose_imprecision,
    starting_level,
    summary_row,
)
from pipeline.inputs.load import load_review_data
from pipeline.inputs.validate import validate_data_dir

from conftest import ROOT


@pytest.fixture(scope="module")
def review():
    return load_review_data(ROOT / "data")


def test_certainty_levels():
    assert starting_level(["RCT", "RCT"]) == "high" and starting_level(["RCT", "non-randomised controlled"]) == "low"
    assert certainty("high", {"imprecision": "serious"}) == "moderate"
    assert certainty("high", {"imprecision": "very serious", "risk of bias": "serious"}) == "very low"
    assert certainty("low", {"imprecision": "serious", "indirectness": "serious"}) == "very low"  # floor


def test_corresponding_risk_formulas():
    assert corresponding_risk(0.2, 0.5, "RR") == pytest.approx(0.1)
    # OR: OR*ACR / (1 - ACR + OR*ACR)  (Cochrane Handbook 14.1.5)
    assert corresponding_risk(0.2, 0.5, "OR") == pytest.approx(0.5 * 0.2 / (1 - 0.2 + 0.5 * 0.2))


def test_statements_follow_certainty_and_effect():
    result = {"outcome": {"label": "All-cause mortality", "measure": "RR"}}
    benefit = {"ci_lower_display": 0.5, "ci_upper_display": 0.8}
    null = {"ci_lower_display": 0.5, "ci_upper_display": 1.4}
    assert plain_language_statement("high", result, benefit) == "MSC reduce all-cause mortality."
    assert plain_language_statement("moderate", result, benefit) == "MSC probably reduce all-cause mortality."
    assert (
        plain_language_statement("low", result, null) == "MSC may make little or no difference to all-cause mortality."
    )
    assert plain_language_statement("very low", result, benefit).startswith("The evidence is very uncertain")


def test_sof_row_for_mortality_uses_median_control_risk_and_pooled_rr(review):
    result = analyse_outcome(review, review.outcome_definition("mortality"))
    row = summary_row(result, review.grade_judgements("mortality"), review.overall_risk_of_bias("mortality"))
    risks = sorted(s["events_c"] / s["n_c"] for s in result["studies"])
    median = risks[len(risks) // 2] if len(risks) % 2 else (risks[len(risks) // 2 - 1] + risks[len(risks) // 2]) / 2
    assert row["assumed_per_1000"] == pytest.approx(1000 * median)
    head = result["fits"][result["headline_model"]]
    assert row["corresponding_per_1000"] == pytest.approx(min(1000, 1000 * median * head["estimate_display"]))
    assert row["participants"] == sum(s["n_t"] + s["n_c"] for s in result["studies"])
    recorded = {d: j for d, (j, _) in review.grade_judgements("mortality").items()}
    assert row["certainty"] == certainty(starting_level([s["design"] for s in result["studies"]]), recorded)
    assert set(row["proposed"]) == {"risk of bias", "inconsistency", "imprecision"}


def test_imprecision_rule():
    studies = [{"events_t": 5, "events_c": 9, "n_t": 20, "n_c": 20}]
    result = {"outcome": {"measure": "RR", "type": "binary"}, "studies": studies}
    assert propose_imprecision(result, {"ci_lower_display": 0.2, "ci_upper_display": 1.5})[0] == "very serious"
    assert propose_imprecision(result, {"ci_lower_display": 0.2, "ci_upper_display": 0.9})[0] == "serious"
    result["studies"] = [{"events_t": 200, "events_c": 250, "n_t": 900, "n_c": 900}]
    assert propose_imprecision(result, {"ci_lower_display": 0.7, "ci_upper_display": 0.9})[0] == "not serious"


def test_prisma_counts_are_computed_from_the_log(review):
    counts = prisma_counts(review.screening)
    assert counts["identified"] == len(review.screening)
    assert counts["included_studies"] == len({r["study_id"] for r in review.screening if r["decision"] == "include"})
    included_ids = {r["study_id"] for r in review.screening if r["decision"] == "include"}
    assert included_ids == {s["study_id"] for s in review.studies}, (
        "every included trial is in studies.csv and vice versa"
    )
    assert counts["screened"] == counts["excluded_screening"] + counts["assessed"]
    assert counts["assessed"] == counts["excluded_full_text"] + counts["awaiting"] + counts["included_reports"]
    extra = [dict(review.screening[-1], record_id="dup1", duplicate_of=review.screening[0]["record_id"])]
    assert prisma_counts(review.screening + extra)["duplicates"] == counts["duplicates"] + 1


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
        first_excluded = next(r for r in rows if r["decision"] == "exclude")
        first_excluded["reason"] = ""
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
    def edit(rows):
        rows[0]["outcome"] = "happiness"

    _rewrite(data_copy / "grade.csv", edit)
    assert any("grade.csv:2: outcome: unknown outcome 'happiness'" in str(p) for p in validate_data_dir(data_copy))


def test_every_outcome_has_a_page():
    review = yaml.safe_load((ROOT / "data" / "review.yaml").read_text())
    project = yaml.safe_load((ROOT / "reports" / "_quarto.yml").read_text())
    rendered = set(project["project"]["render"])
    for outcome in review["outcomes"]:
        key = outcome["key"]
        if key.startswith("mortality"):
            assert "mortality.qmd" in rendered
            continue
        page = f"{key.replace('_', '-')}.qmd"
        assert page in rendered, f"outcome '{key}' has no page: add reports/{page} (see reports/los.qmd) to _quarto.yml"
        assert f'page.show_outcome_section("{key}")' in (ROOT / "reports" / page).read_text()


def test_sof_json_written_by_tables_stage(built):
    sof = json.loads((built / "build" / "tables" / "summary_of_findings.json").read_text())
    review = yaml.safe_load((ROOT / "data" / "review.yaml").read_text())
    assert [r["key"] for r in sof] == review["summary_of_findings"]["outcomes"]
    assert len(sof) <= 7
    for row in sof:
        if row.get("certainty"):
            assert row["certainty"] in ("high", "moderate", "low", "very low")
            assert math.isfinite(row["effect"])
