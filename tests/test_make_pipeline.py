"""The make-driven pipeline end to end, as a user runs it: outputs, no-op rebuilds, failures that build nothing."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
from pathlib import Path

import pypdf

from conftest import ROOT, run_make

OUTPUTS = (
    "index.html",
    "mortality.html",
    "methods.html",
    "brief.pdf",
    "trials.html",
    "risk-of-bias.html",
    "excluded.html",
    "data.html",
    "ventilation.html",
    "sae.html",
    "any-ae.html",
    "los.html",
)


def make(tmp: Path, *args: str, data: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return run_make(tmp, *args, data=data, check=check)


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_build_never_modifies_data(tmp_path):
    before = tree_hash(ROOT / "data")
    make(tmp_path, "validate")
    make(tmp_path)
    assert tree_hash(ROOT / "data") == before, "the pipeline must never modify data/"


def test_make_builds_the_four_outputs(built):
    for name in OUTPUTS:
        assert (built / "_site" / name).stat().st_size > 1000, name
    assert (built / "_site" / "data" / "datapackage.json").exists()
    assert (built / "_site" / "figures" / "forest_mortality.svg").exists()


def test_site_and_brief_show_the_pooled_numbers_from_build(built):
    result = json.loads((built / "build" / "results" / "mortality.json").read_text())
    head = result["fits"][result["headline_model"]]
    pooled = f"{head['estimate_display']:.2f} [{head['ci_lower_display']:.2f}, {head['ci_upper_display']:.2f}]"
    html = (built / "_site" / "mortality.html").read_text(encoding="utf-8")
    assert pooled in html
    for study in result["studies"]:
        assert f"{study['events_t']}/{study['n_t']}" in html
    assert 'src="figures/forest_mortality.svg"' in html
    text = "".join(p.extract_text() for p in pypdf.PdfReader(built / "_site" / "brief.pdf").pages)
    assert len(pypdf.PdfReader(built / "_site" / "brief.pdf").pages) <= 2
    assert f"{head['estimate_display']:.2f}" in text and "uncertain" in text


def test_second_make_does_nothing_and_says_so(built):
    proc = make(built)
    assert "Nothing to be done" in proc.stdout
    assert "pipeline" not in proc.stdout


def test_editing_outcomes_reruns_only_downstream(built, tmp_path):
    data = tmp_path / "data"
    subprocess.run(["cp", "-r", str(ROOT / "data"), str(data)], check=True)
    make(tmp_path, data=data)
    (data / "outcomes.csv").touch()
    proc = make(tmp_path, data=data)
    assert "pipeline validate" in proc.stdout and "pipeline analyse" in proc.stdout and "pipeline render" in proc.stdout
    assert "pip install" not in proc.stdout
    (tmp_path / "build" / "results" / "index.json").touch()
    proc = make(tmp_path, data=data)
    assert "pipeline validate" not in proc.stdout and "pipeline figures" in proc.stdout


def test_bad_data_stops_the_build_and_keeps_the_last_good_site(built, tmp_path):
    data = tmp_path / "data"
    subprocess.run(["cp", "-r", str(ROOT / "data"), str(data)], check=True)
    make(tmp_path, data=data)
    site_before = tree_hash(tmp_path / "_site")
    results_before = tree_hash(tmp_path / "build" / "results")
    with open(data / "outcomes.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[2][rows[0].index("events_c")] = "99"
    with open(data / "outcomes.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    proc = make(tmp_path, data=data, check=False)
    assert proc.returncode != 0
    assert f"{data}/outcomes.csv:3: events_c: 99 events but only" in proc.stderr
    assert "pipeline analyse" not in proc.stdout
    assert tree_hash(tmp_path / "_site") == site_before
    assert tree_hash(tmp_path / "build" / "results") == results_before


def test_html_escapes_strings_from_data(tmp_path):
    data = tmp_path / "data"
    subprocess.run(["cp", "-r", str(ROOT / "data"), str(data)], check=True)
    with open(data / "studies.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[1][rows[0].index("severity")] = '<script>alert("x")</script> *bold* @fig-x | pipe'
    with open(data / "studies.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    make(tmp_path, data=data)
    html = (tmp_path / "_site" / "trials.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html or '&lt;script&gt;alert("x")&lt;/script&gt;' in html
    )
    assert "*bold*" in html and "| pipe" in html
