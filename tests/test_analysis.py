"""The review's own analyses: row selection, pooled numbers against live metafor, the few-trials rule,
the results contract (typed round trip and its published JSON Schema)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

from pipeline.analysis.outcome import analyse_outcome
from pipeline.analysis.select import select_rows
from pipeline.analysis.write import analyse_one_outcome, outcome_inputs, write_results
from pipeline.inputs.load import load_review_data, write_review_json
from pipeline.results.contract import FitFailure, FitSummary, OutcomeResult
from pipeline.results.load import load_outcome
from pipeline.results.serialise import dumps, from_jsonable, json_schema
from pipeline.review.config import FewTrialsRule

from conftest import ROOT

DATA = Path(__import__("os").environ.get("TEST_DATA", ROOT / "data"))


@pytest.fixture(scope="module")
def review():
    return load_review_data(DATA)


def test_day28_selection_uses_window_and_skips_unverified(review):
    outcome = review.config.outcome("mortality")
    rows, missing = select_rows(review, outcome)
    for r in rows:
        assert 14 <= r["timepoint_days"] <= 31, r["study_id"]
    reasons = {m.study_id: m.reason for m in missing}
    unverified = {r["study_id"] for r in review.outcomes if r["outcome"] == "mortality" and r["check"] == "unverified"}
    usable = {r["study_id"] for r in rows}
    assert (unverified - usable) <= set(reasons)
    assert usable | set(reasons) == {s["study_id"] for s in review.studies}


def test_longest_follow_up_prefers_undated_end_of_study_counts(review):
    rows, _ = select_rows(review, review.config.outcome("mortality_any"))
    by_study: dict[str, list[dict]] = {}
    for r in review.outcomes:
        if r["outcome"] == "mortality" and r["events_t"] is not None and r["check"] != "unverified":
            by_study.setdefault(r["study_id"], []).append(r)
    for r in rows:
        candidates = by_study[r["study_id"]]
        if any(c["timepoint_days"] is None for c in candidates):
            assert r["timepoint_days"] is None
        else:
            assert r["timepoint_days"] == max(c["timepoint_days"] for c in candidates)


R_SCRIPT = r"""
suppressMessages(library(metafor))
d <- read.csv("{csv}")
ctrl <- list(threshold=1e-12, tol=1e-13, maxiter=10000)
mh <- rma.mh(measure="RR", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d)
re <- rma(measure="RR", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, method="REML", control=ctrl)
kn <- rma(measure="RR", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, method="REML", test="knha", control=ctrl)
f <- function(x) sprintf("%.17g", x)
cat(f(c(mh$beta, mh$se, mh$ci.lb, mh$ci.ub, mh$QE, mh$I2)), "\n")
cat(f(c(re$beta, re$se, re$ci.lb, re$ci.ub, re$tau2, re$I2, re$QE, re$QEp)), "\n")
p <- predict(kn)
cat(f(c(kn$beta, kn$se, kn$ci.lb, kn$ci.ub, kn$pval, p$pi.lb, p$pi.ub)), "\n")
"""


@pytest.mark.needs_r
@pytest.mark.parametrize("key", ["mortality", "mortality_any"])
def test_pooled_mortality_matches_live_metafor(metafor_available, review, tmp_path, key):
    result = analyse_outcome(review, review.config.outcome(key))
    assert result.k >= 2
    csv_path = tmp_path / "d.csv"
    csv_path.write_text(
        "events_t,n_t,events_c,n_c\n"
        + "".join(f"{s.treatment.events},{s.treatment.n},{s.control.events},{s.control.n}\n" for s in result.studies)
    )
    proc = subprocess.run(
        ["Rscript", "-e", R_SCRIPT.replace("{csv}", str(csv_path))], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    mh, re_, kn = ([float(x) for x in line.split()] for line in proc.stdout.strip().splitlines())
    f, r, k = result.fits["fixed"], result.fits["random"], result.fits["random_hksj"]
    ours = [
        [f.estimate, f.se, f.ci_lower, f.ci_upper, f.q, f.i2],
        [r.estimate, r.se, r.ci_lower, r.ci_upper, r.tau2, r.i2, r.q, r.q_pvalue],
        [k.estimate, k.se, k.ci_lower, k.ci_upper, k.pvalue, k.pi_lower, k.pi_upper],
    ]
    for a_list, b_list in zip(ours, (mh, re_, kn), strict=True):
        for a, b in zip(a_list, b_list, strict=True):
            assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-8), (a_list, b_list)


def test_headline_never_narrower_than_z_interval(review):
    result = analyse_outcome(review, review.config.outcome("mortality_any"))
    assert result.headline_model == "random_hksj_adhoc"
    head, z = result.headline, result.fits["random"]
    assert head.ci_upper - head.ci_lower >= z.ci_upper - z.ci_lower - 1e-12


def _with_rule(review, rule: FewTrialsRule):
    config = dataclasses.replace(review.config, analysis=dataclasses.replace(review.config.analysis, few_trials=rule))
    return dataclasses.replace(review, config=config)


def _two_trial_outcome(review):
    """A binary outcome pooled from exactly two trials: one of the review's own, or else the first binary
    outcome restricted to the first two trials it pools (the test never depends on the data's shape)."""
    for o in review.config.outcomes:
        if o.type == "binary" and analyse_outcome(review, o).k == 2:
            return review, o
    outcome = next(o for o in review.config.outcomes if o.type == "binary" and analyse_outcome(review, o).k > 2)
    rows, _ = select_rows(review, outcome)
    keep = {r["study_id"] for r in rows[:2]}
    others = [r for r in review.outcomes if r["outcome"] != outcome.key or r["study_id"] in keep]
    subset = dataclasses.replace(review, outcomes=others)
    assert analyse_outcome(subset, outcome).k == 2
    return subset, outcome


def test_few_trials_rule_default_reports_the_fixed_effect_estimate(review):
    review, outcome = _two_trial_outcome(review)
    result = analyse_outcome(_with_rule(review, FewTrialsRule(max_k=3, headline="fixed")), outcome)
    assert result.headline_model == "fixed" and result.few_trials.applied
    assert "Cochrane Handbook" in result.few_trials.note
    # the HKSJ interval with one degree of freedom is the absurd one the rule avoids
    hksj = result.fits["random_hksj_adhoc"]
    assert (
        isinstance(hksj, FitSummary)
        and hksj.effect_ci[1] / hksj.effect_ci[0] > result.headline.effect_ci[1] / result.headline.effect_ci[0]
    )


def test_few_trials_rule_can_refuse_to_pool_or_keep_random_effects(review):
    review, outcome = _two_trial_outcome(review)
    none = analyse_outcome(_with_rule(review, FewTrialsRule(max_k=3, headline="none")), outcome)
    assert none.headline_model == "" and none.headline is None and "not to pool" in none.few_trials.note
    keep = analyse_outcome(_with_rule(review, FewTrialsRule(max_k=3, headline="random")), outcome)
    assert keep.headline_model == "random_hksj_adhoc" and not keep.few_trials.applied


def test_results_round_trip_through_the_typed_contract_and_its_schema(tmp_path, review):
    write_review_json(review, tmp_path / "review.json")
    written = write_results(tmp_path / "review.json", tmp_path / "results")
    names = {p.name for p in written}
    assert {
        "index.json",
        "mortality.json",
        "results.schema.json",
    } <= names
    assert not any(n.endswith(".csv") for n in names), "CSV tables are the data package's, not the analysis stage's"
    schema = json.loads((tmp_path / "results" / "results.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for o in review.config.outcomes:
        raw = json.loads((tmp_path / "results" / f"{o.key}.json").read_text())
        jsonschema.validate(raw, schema)
        typed = load_outcome(tmp_path / "results", o.key)
        assert isinstance(typed, OutcomeResult)
        assert dumps(typed) == json.dumps(raw, ensure_ascii=False, indent=1)
    result = load_outcome(tmp_path / "results", "mortality")
    assert len(result.cumulative) == result.k == len(result.leave_one_out)
    assert result.egger is not None and result.egger.reported is False


def test_a_failed_fit_is_its_own_type():
    schema = json_schema(OutcomeResult, "x")
    failure = from_jsonable(
        FitSummary | FitFailure, {"model": "random", "reason": "needs 2 trials", "status": "failed"}
    )
    assert isinstance(failure, FitFailure) and not failure.ok
    assert "FitFailure" in schema["$defs"] and "FitSummary" in schema["$defs"]


def test_analysis_rewrites_only_files_whose_content_changed(tmp_path, review):
    write_review_json(review, tmp_path / "review.json")
    write_results(tmp_path / "review.json", tmp_path / "results")
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "results").iterdir()}
    write_results(tmp_path / "review.json", tmp_path / "results")
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "results").iterdir()}
    assert before == after


@pytest.mark.parametrize("folder", [DATA, ROOT / "examples" / "bcg"], ids=["data", "bcg"])
def test_each_outcome_is_analysed_from_its_own_inputs_only(folder):
    """The analysis cache keys an outcome on the view its analysis reads; the view must hold everything
    the analysis of the whole review would use (rows borrowed with rows_from, ongoing trials, settings)."""
    data = load_review_data(folder)
    for outcome in data.config.outcomes:
        whole = analyse_one_outcome(data, outcome.key)
        view = analyse_one_outcome(outcome_inputs(data, outcome.key), outcome.key)
        assert dumps(view) == dumps(whole), outcome.key
        assert whole.k == 0 or view.k > 0


def test_an_edit_reanalyses_only_its_outcome_and_matches_a_fresh_analysis(tmp_path, review, capsys):
    write_review_json(review, tmp_path / "review.json")
    write_results(tmp_path / "review.json", tmp_path / "results")
    target = next(
        i
        for i, r in enumerate(review.outcomes)
        if r["outcome"] == "sae" and r.get("events_c") is not None and r["check"] != "unverified"
    )
    rows = [dict(r) for r in review.outcomes]
    rows[target]["events_c"] = rows[target]["events_c"] + (1 if rows[target]["events_c"] < rows[target]["n_c"] else -1)
    edited = dataclasses.replace(review, outcomes=rows, data_hash="edited")
    write_review_json(edited, tmp_path / "review.json")
    capsys.readouterr()
    write_results(tmp_path / "review.json", tmp_path / "results")
    line = capsys.readouterr().out
    uses_sae = [o.key for o in review.config.outcomes if o.source_key == "sae"]
    assert f"({len(uses_sae)} analysed, {len(review.config.outcomes) - len(uses_sae)} with unchanged inputs)" in line
    write_results(tmp_path / "review.json", tmp_path / "fresh")
    for path in (tmp_path / "fresh").iterdir():
        if path.is_file():
            assert path.read_text() == (tmp_path / "results" / path.name).read_text(), path.name


def test_skewed_median_arm_is_not_converted(review):
    result = analyse_outcome(review, review.config.outcome("ttci"))
    skewed = [m for m in result.not_analysed if m.category == "skewed"]
    assert any(m.study_id == "zhu2021" for m in skewed), result.not_analysed
    assert "Shi et al. 2023" in skewed[0].reason and "1.00 >= critical value 0.48" in skewed[0].reason


def test_outcome_pages_follow_review_yaml(tmp_path):
    """A made-up outcome added to review.yaml gets its page, its menu entry and its SoF row; removing it removes them."""
    from pipeline.pages.project import write_project

    data = tmp_path / "data"
    subprocess.run(["cp", "-r", str(ROOT / "data"), str(data)], check=True)
    text = (data / "review.yaml").read_text(encoding="utf-8")
    extra = """  - key: made_up
    short_label: Made-up outcome
    label: A made-up outcome for the test
    rows_from: mortality
    type: binary
    measure: RR
    lower_is_better: true
    timepoint:
      label: Any time
      min_days: 0
      max_days: 3650
      select: longest
      accept_undated: true
"""
    text = text.replace("summary_of_findings:\n  outcomes: [", "summary_of_findings:\n  outcomes: [made_up, ", 1)
    text = text.replace("# Summary of findings (GRADE)", extra + "# Summary of findings (GRADE)", 1)
    text = text.replace("ventilation, sae, any_ae, los, ttci]", "ventilation, sae, any_ae, los]", 1)
    (data / "review.yaml").write_text(text, encoding="utf-8")
    made_up = load_review_data(data)
    write_review_json(made_up, tmp_path / "review.json")
    write_project(ROOT / "reports", tmp_path / "review.json", tmp_path / "src")
    assert (tmp_path / "src" / "outcome-made-up.qmd").exists()
    quarto = (tmp_path / "src" / "_quarto.yml").read_text(encoding="utf-8")
    assert "outcome-made-up.qmd" in quarto and "Made-up outcome" in quarto
    from pipeline.tables.write import sof_rows

    write_results(tmp_path / "review.json", tmp_path / "results")
    results = {o.key: load_outcome(tmp_path / "results", o.key) for o in made_up.config.outcomes}
    assert any(r.key == "made_up" for r in sof_rows(made_up, results))
    (data / "review.yaml").write_text((ROOT / "data" / "review.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    write_review_json(load_review_data(data), tmp_path / "review.json")
    write_project(ROOT / "reports", tmp_path / "review.json", tmp_path / "src")
    assert not (tmp_path / "src" / "outcome-made-up.qmd").exists()
    assert "made-up" not in (tmp_path / "src" / "_quarto.yml").read_text(encoding="utf-8").lower()


def test_pipeline_knows_no_review():
    """No word of this review in pipeline/ outside docstrings and comments."""
    import ast
    import io
    import tokenize

    words = ("msc", "mortality", "umbilical", "covid")
    review_word = re.compile(r"\b(" + "|".join(words) + r")\b")  # "covidence" (a screening tool) is no review word
    published_vocabulary = {"pipeline/stats/bayesian.py"}  # Turner et al. 2015 name their outcome types, e.g. mortality
    offenders = []
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        if str(path.relative_to(ROOT)) in published_vocabulary:
            continue
        source = path.read_text(encoding="utf-8")
        docstrings = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(
                node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
            ) and ast.get_docstring(node):
                docstrings.add(node.body[0].lineno)
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.start[0] in docstrings):
                continue
            text = tok.string.lower()
            if tok.type in (tokenize.STRING, tokenize.NAME) and review_word.search(text):
                offenders.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {tok.string[:60]}")
    for folder in ("reports", "pipeline/render/templates", "pipeline/commands/scaffold_files"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file():
                for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if review_word.search(line.lower()):
                        offenders.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()[:60]}")
    assert not offenders, "\n".join(offenders)


def test_scaffolded_review_validates(tmp_path):
    from pipeline.commands.scaffold import scaffold_review
    from pipeline.inputs.validate import validate_data_dir

    folder = scaffold_review(Path(tmp_path) / "new")
    assert validate_data_dir(folder) == []
    assert "#" in (folder / "review.yaml").read_text(encoding="utf-8"), "review.yaml is commented"
    for table in ("studies", "outcomes", "screening"):
        assert len((folder / f"{table}.csv").read_text(encoding="utf-8").splitlines()) == 1
