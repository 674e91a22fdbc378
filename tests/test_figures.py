"""Forest and funnel plots from real analysis results."""

from __future__ import annotations

import json

import numpy as np

from pipeline.analyse import write_results
from pipeline.figures.forest import draw_forest, forest_alt_text
from pipeline.figures.funnel import draw_funnel
from pipeline.figures.write import write_figures

from conftest import FIXTURES, ROOT
from test_metafor_parity import load_dataset


def test_forest_svg_and_pdf_carry_the_numbers(tmp_path):
    write_results(ROOT / "data", tmp_path / "results")
    written = {p.name for p in write_figures(tmp_path / "results", tmp_path / "figures")}
    assert {"forest_mortality.svg", "forest_mortality.pdf", "forest_mortality.alt.txt"} <= written
    for path in (tmp_path / "results").glob("*.json"):
        if path.name == "index.json":
            continue
        k = json.loads(path.read_text())["k"]
        assert (f"funnel_{path.stem}.svg" in written) == (k >= 10), f"funnel plot for {path.stem} with k = {k}"
    result = json.loads((tmp_path / "results" / "mortality.json").read_text())
    svg = (tmp_path / "figures" / "forest_mortality.svg").read_text()
    head = result["fits"][result["headline_model"]]
    assert f"{head['estimate_display']:.2f} [{head['ci_lower_display']:.2f}, {head['ci_upper_display']:.2f}]" in svg
    for s in result["studies"]:
        assert s["label"] in svg and f"{s['events_t']}/{s['n_t']}" in svg
    assert "Favours MSC" in svg and "Favours Control" in svg
    assert (tmp_path / "figures" / "forest_mortality.pdf").read_bytes().startswith(b"%PDF")
    alt = (tmp_path / "figures" / "forest_mortality.alt.txt").read_text()
    assert f"{result['k']} trials" in alt and "favour MSC" in alt


def test_funnel_drawn_only_from_ten_trials():
    data = load_dataset(FIXTURES, "bcg")
    yi = np.log((data.events_t / data.n_t) / (data.events_c / data.n_c))
    vi = 1 / data.events_t - 1 / data.n_t + 1 / data.events_c - 1 / data.n_c
    studies = [{"yi": float(y), "vi": float(v)} for y, v in zip(yi, vi, strict=True)]
    result = {
        "studies": studies,
        "fits": {"fixed": {"estimate": -0.43}},
        "outcome": {"measure": "RR"},
        "egger": {"reported": True, "t": -1.2, "pvalue": 0.25},
    }
    assert draw_funnel(result) is not None
    result["studies"] = studies[:9]
    assert draw_funnel(result) is None


def test_forest_handles_a_failed_pooled_model():
    result = json.loads(
        json.dumps(
            {
                "outcome": {"measure": "RR", "label": "X", "type": "binary", "lower_is_better": True},
                "k": 1,
                "convention": "metafor",
                "models": {"fixed": "MH", "random": "REML", "hksj": True},
                "headline_model": "fixed",
                "fits": {"fixed": {"error": "not estimable"}},
                "studies": [
                    {
                        "label": "A 2020",
                        "events_t": 0,
                        "n_t": 5,
                        "events_c": 0,
                        "n_c": 5,
                        "effect": 1.0,
                        "ci_lower": 0.02,
                        "ci_upper": 45.0,
                        "weight_fixed": None,
                        "double_zero": True,
                    }
                ],
            }
        )
    )
    fig = draw_forest(result)
    texts = [t.get_text() for t in fig.texts]
    assert "not estimable" in texts and any("no events in either arm" in t for t in texts)
    assert "1 trials" in forest_alt_text(result) and "no pooled estimate" in forest_alt_text(result)
