"""Figures from real analysis results: forest plots carry the numbers, layouts are testable without
drawing, symbols and alt text say what they show, funnel axes are labelled by measure, long reviews page."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from pipeline.analysis.write import write_results
from pipeline.figures.forest import axis_limits, draw_forest, forest_layout, pages, subgroup_layout
from pipeline.figures.funnel import draw_funnel
from pipeline.figures.style import SYMBOLS, legend_text
from pipeline.figures.write import write_figures
from pipeline.inputs.load import load_review_data, write_review_json
from pipeline.present.alt_text import forest_alt_text
from pipeline.results.contract import FitFailure
from pipeline.results.load import load_outcome

from conftest import ROOT


@pytest.fixture(scope="module")
def built_results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("figs")
    review = load_review_data(ROOT / "data")
    write_review_json(review, tmp / "review.json")
    write_results(tmp / "review.json", tmp / "results")
    return tmp, review


def test_forest_svg_carries_the_numbers(built_results):
    tmp, review = built_results
    written = {p.name for p in write_figures(tmp / "review.json", tmp / "results", tmp / "figures")}
    assert "forest_mortality.svg" in written and (tmp / "figures" / "forest_mortality.alt.txt").exists()
    for o in review.config.outcomes:
        r = load_outcome(tmp / "results", o.key)
        if r.k:
            assert (f"funnel_{o.key}.svg" in written) == (r.k >= 10), o.key
    result = load_outcome(tmp / "results", "mortality")
    svg = (tmp / "figures" / "forest_mortality.svg").read_text()
    head = result.headline
    lo, hi = head.effect_ci
    assert f"{head.effect:.2f} [{lo:.2f}, {hi:.2f}]" in svg
    for s in result.studies:
        assert s.label in svg and f"{s.treatment.events}/{s.treatment.n}" in svg
    assert "Favours MSC" in svg and "Favours Control" in svg
    # a second run draws nothing: every figure's inputs are unchanged
    before = {p.name: p.stat().st_mtime_ns for p in (tmp / "figures").glob("*.svg")}
    write_figures(tmp / "review.json", tmp / "results", tmp / "figures")
    assert before == {p.name: p.stat().st_mtime_ns for p in (tmp / "figures").glob("*.svg")}


def test_forest_layout_is_decided_without_drawing(built_results):
    tmp, review = built_results
    result = load_outcome(tmp / "results", "mortality")
    layout = forest_layout(result, review.config.labels)
    studies = [r for r in layout.rows if r.kind == "study"]
    assert [r.cells[0] for r in studies] == [s.label for s in result.studies]
    assert layout.ratio and layout.null_value == 1.0 and layout.favours == ("MSC", "Control")
    assert layout.x_limits[0] < min(r.lower for r in studies) and layout.x_limits[1] >= 10
    pooled = [r for r in layout.rows if r.kind == "pooled"]
    assert pooled[-1].cells[-1].startswith(f"{result.headline.effect:.2f}")
    sub = subgroup_layout(result, "msc_source", review.config.labels)
    assert [r.cells[0] for r in sub.rows if r.kind == "header"] == [
        g.group for g in result.subgroup("msc_source").groups
    ]
    assert any("Test for subgroup differences" in line for line in sub.footer)


def test_axis_limits_and_paging():
    (lo, hi), ticks = axis_limits([0.009, 5.9], ratio=True)
    assert (lo, hi) == (0.001, 1000.0) and 1.0 in ticks
    (lo, hi), _ = axis_limits([0.3, 1.8], ratio=True)
    assert (lo, hi) == (0.1, 10.0)
    (lo, hi), ticks = axis_limits([-4.2, 1.1], ratio=False)
    assert lo == -hi and 0 in ticks
    assert pages(1000) == [(i, i + 40) for i in range(0, 1000, 40)]


def test_forest_handles_a_failed_pooled_model(built_results):
    tmp, review = built_results
    result = load_outcome(tmp / "results", "ventilation")
    failed = dataclasses.replace(result, fits={"fixed": FitFailure("fixed", "not estimable")}, headline_model="")
    fig = draw_forest(forest_layout(failed, review.config.labels))
    assert "not estimable" in [t.get_text() for t in fig.texts]
    assert "no pooled estimate" in forest_alt_text(failed, review.config.labels)


def test_alt_text_names_the_scale_and_direction_of_the_measure(built_results):
    tmp, review = built_results
    labels = review.config.labels
    ratio = forest_alt_text(load_outcome(tmp / "results", "mortality"), labels)
    assert "log scale where values below 1 favour MSC" in ratio
    difference = forest_alt_text(load_outcome(tmp / "results", "los"), labels)
    assert "log scale" not in difference and "below 1" not in difference and "values below 0 favour MSC" in difference


def test_risk_of_bias_symbols_follow_robvis_and_the_legend_matches():
    assert SYMBOLS["low"] == "+" and SYMBOLS["some concerns"] == "−" and SYMBOLS["high"] == "×"
    assert (
        SYMBOLS["moderate"] == "−"
        and SYMBOLS["serious"] == "×"
        and SYMBOLS["critical"] == "!"
        and SYMBOLS["no information"] == "?"
    )
    assert len({SYMBOLS["some concerns"], SYMBOLS["critical"]}) == 2, "some concerns and critical look different"
    legend = legend_text()
    assert "RoB 2: + low, − some concerns, × high" in legend
    assert "ROBINS-I: + low, − moderate, × serious, ! critical, ? no information" in legend


def test_rob_forest_shows_the_legend_it_uses(built_results):
    tmp, _ = built_results
    svg = (tmp / "figures" / "forest_mortality_rob.svg").read_text()
    assert legend_text() in svg.replace("&amp;", "&")


def test_funnel_axes_are_labelled_by_measure_and_show_ratios(built_results):
    tmp, _ = built_results
    result = load_outcome(tmp / "results", "mortality_any")
    assert result.k >= 10
    fig = draw_funnel(result)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert "Risk ratio (RR, log scale)" == ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "0.00" not in labels and all(re.fullmatch(r"[0-9.]+", t) for t in labels if t)
    few = dataclasses.replace(result, studies=result.studies[:9])
    assert draw_funnel(few) is None


def test_a_long_review_is_paged_and_its_plots_stay_short(tmp_path):
    from pipeline.commands.synth import write_synthetic_review

    data = write_synthetic_review(120, tmp_path / "syn")
    review = load_review_data(data)
    write_review_json(review, tmp_path / "review.json")
    write_results(tmp_path / "review.json", tmp_path / "results")
    written = {p.name for p in write_figures(tmp_path / "review.json", tmp_path / "results", tmp_path / "figures")}
    assert {"forest_death_page1.svg", "forest_death_page2.svg", "forest_death_page3.svg"} <= written
    result = load_outcome(tmp_path / "results", "death")
    layout = forest_layout(result, review.config.labels, page=(40, 80))
    assert sum(r.kind == "study" for r in layout.rows) == 40
    assert any("Trials 41-80 of 120" in line for line in layout.footer)
    sub = subgroup_layout(result, "design", review.config.labels)
    assert not any(r.kind == "study" for r in sub.rows), "long reviews: subgroup plots show subtotals only"
    np.testing.assert_equal(sum(r.kind == "subtotal" for r in sub.rows), len(result.subgroup("design").groups))
