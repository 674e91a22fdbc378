"""The generator on reviews other than this one: the BCG example, a scaffolded empty review, a synthetic
review, and two reviews built side by side without mixing their outputs."""

from __future__ import annotations

import json
import math
import subprocess

import pypdf
import pytest

from pipeline.results.load import load_outcome

from conftest import ROOT, pipeline, run_make

# metafor's analysis of dat.bcg (Colditz et al. 1994) as published in Viechtbauer W. Conducting
# meta-analyses in R with the metafor package. J Stat Softw 2010;36(3):1-48, section 4 (random-effects
# model, REML): estimate -0.7145 (SE 0.1798), 95% CI -1.0669 to -0.3622, tau^2 0.3132.
PUBLISHED_BCG = {"estimate": -0.7145, "se": 0.1798, "ci_lower": -1.0669, "ci_upper": -0.3622, "tau2": 0.3132}


def test_bcg_example_builds_its_full_site_and_brief(built_bcg):
    site = built_bcg / "_site"
    for name in (
        "index.html",
        "outcome-tb.html",
        "trials.html",
        "methods.html",
        "excluded.html",
        "brief.pdf",
        "risk-of-bias.html",
    ):
        assert (site / name).exists(), name
    html = (site / "outcome-tb.html").read_text(encoding="utf-8")
    assert "BCG" in html and "Favours BCG" in (site / "figures" / "forest_tb.svg").read_text(encoding="utf-8")
    assert "Not assessed" in (site / "risk-of-bias.html").read_text(encoding="utf-8"), "no risk-of-bias table: says so"
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(site / "brief.pdf").pages)
    assert "0.49" in text and "tuberculosis" in text.lower()


def test_bcg_pooled_risk_ratio_matches_metafors_published_result(built_bcg):
    result = load_outcome(built_bcg / "build" / "results", "tb")
    fit = result.fits["random"]
    assert result.k == 13
    for key, value in PUBLISHED_BCG.items():
        assert math.isclose(getattr(fit, key), value, abs_tol=5e-5), (key, getattr(fit, key), value)
    assert math.isclose(fit.effect, math.exp(-0.7145), rel_tol=1e-4)
    assert result.headline_model == "random", (
        "review.yaml asks for z-based intervals (hksj: false), as the published analysis"
    )


def test_two_reviews_never_mix_and_switching_gives_the_right_site(built, built_bcg):
    main_index = (built / "_site" / "index.html").read_text(encoding="utf-8")
    bcg_index = (built_bcg / "_site" / "index.html").read_text(encoding="utf-8")
    assert "BCG" in bcg_index and "BCG" not in main_index
    assert not (built / "_site" / "outcome-tb.html").exists()
    assert not (built_bcg / "_site" / "outcome-mortality.html").exists()
    # the default build and site folders differ per data folder
    planned = subprocess.run(
        ["make", "-n", "-B", "-C", str(ROOT), "DATA=examples/bcg"], capture_output=True, text=True
    ).stdout
    assert "--out build/examples-bcg/review.json" in planned and "--site _sites/examples-bcg" in planned
    planned = subprocess.run(["make", "-n", "-B", "-C", str(ROOT)], capture_output=True, text=True).stdout
    assert "--out build/data/review.json" in planned and "--site _site " in planned


def test_new_review_scaffold_builds_a_site_saying_no_trials_yet(tmp_path):
    pipeline("new", str(tmp_path / "fresh"), check=True)
    run_make(tmp_path, data=tmp_path / "fresh", editions=tmp_path / "editions")
    index = (tmp_path / "_site" / "index.html").read_text(encoding="utf-8")
    assert "No trials yet" in index
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "_site" / "brief.pdf").pages)
    assert "No trials yet" in text


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    proc = pipeline("new", str(tmp_path / "x"))
    assert proc.returncode != 0 and "not empty" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_1000_trial_synthetic_review_builds_and_reads_well(tmp_path):
    pipeline("synth", "1000", str(tmp_path / "syn"), check=True)
    run_make(tmp_path, data=tmp_path / "syn", editions=tmp_path / "editions", timeout=1800)
    site = tmp_path / "_site"
    reader = pypdf.PdfReader(site / "brief.pdf")
    assert len(reader.pages) <= 2, "the brief stays two pages"
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "full plot is on the website" in text
    figures = site / "figures"
    pages = sorted(figures.glob("forest_death_page*.svg"))
    assert len(pages) == 25, "1,000 trials are paged 40 to a plot"
    # each page is a legible plot: at most 40 trial rows, so its height stays within a screen or two
    import re

    for svg in pages[:3] + pages[-1:]:
        height = float(re.search(r'height="([0-9.]+)pt"', svg.read_text(encoding="utf-8")).group(1))
        assert height < 1200, (svg.name, height)
    page_info = json.loads((tmp_path / "build" / "tables" / "death_page.json").read_text())
    assert page_info["pages"] == 25
