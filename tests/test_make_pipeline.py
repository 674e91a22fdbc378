"""The make-driven pipeline end to end, as a user runs it: outputs, no-op and incremental rebuilds,
true dependencies, failures and interruptions that keep the last good site, published permissions."""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest

from pipeline.build_system.stage_deps import STAGES, closure, stage_sources
from pipeline.inputs.load import load_review_data
from pipeline.results.load import load_outcome

from conftest import ROOT, render_status, run_make


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def copy_data(tmp: Path) -> Path:
    data = tmp / "data"
    subprocess.run(["cp", "-r", str(ROOT / "data"), str(data)], check=True)
    return data


def test_build_never_modifies_data(built):
    before = tree_hash(ROOT / "data")
    run_make(built)
    assert tree_hash(ROOT / "data") == before, "the pipeline must never modify data/"


def test_make_builds_every_page_of_the_review(built):
    config = load_review_data(ROOT / "data").config
    names = [
        "index.html",
        "methods.html",
        "brief.pdf",
        "trials.html",
        "risk-of-bias.html",
        "excluded.html",
        "data.html",
        "editions.html",
        "whats-new.html",
        "feed.xml",
    ]
    names += [f"{o.slug}.html" for o in config.outcomes]
    for name in names:
        assert (built / "_site" / name).stat().st_size > 500, name
    assert (built / "_site" / "data" / "datapackage.json").exists()
    assert (built / "_site" / "figures" / f"forest_{config.primary_outcome}.svg").exists()


def test_site_and_brief_show_the_pooled_numbers_from_build(built):
    config = load_review_data(ROOT / "data").config
    result = load_outcome(built / "build" / "results", config.primary_outcome)
    head = result.headline
    lo, hi = head.effect_ci
    html = (built / "_site" / f"{config.primary.slug}.html").read_text(encoding="utf-8")
    assert f"{head.effect:.2f} [{lo:.2f}, {hi:.2f}]" in html
    for s in result.studies:
        assert f"{s.treatment.events}/{s.treatment.n}" in html
    reader = pypdf.PdfReader(built / "_site" / "brief.pdf")
    assert len(reader.pages) <= 2
    text = " ".join(p.extract_text() for p in reader.pages)
    assert f"{head.effect:.2f}" in text and "uncertain" in text


def test_second_make_does_nothing_and_says_so(built):
    proc = run_make(built)
    assert "Nothing to be done" in proc.stdout
    assert "validate:" not in proc.stdout and "render:" not in proc.stdout


def test_one_number_edit_reruns_only_what_it_touches(tmp_path):
    """An edit to one outcome's data re-executes that outcome's page, the overview and the brief, not the
    other outcomes' pages; unchanged figures are not redrawn."""
    data = copy_data(tmp_path)
    run_make(tmp_path, data=data)
    path = data / "outcomes.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header = rows[0]
    target = next(
        i
        for i, r in enumerate(rows)
        if i
        and r[header.index("outcome")] == "sae"
        and r[header.index("events_t")]
        and r[header.index("check")] != "unverified"
    )
    rows[target][header.index("note")] += " (edited by a test)"
    old = int(rows[target][header.index("events_c")])
    rows[target][header.index("events_c")] = str(
        old + 1 if old + 1 <= int(rows[target][header.index("n_c")]) else old - 1
    )
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    prov = data / "provenance.csv"
    if prov.exists():
        prows = list(csv.reader(prov.open(encoding="utf-8")))
        ph = prows[0]
        sid, day = rows[target][header.index("study_id")], rows[target][header.index("timepoint_days")]
        for r in prows[1:]:
            if (
                r[ph.index("study_id")] == sid
                and r[ph.index("outcome")] == "sae"
                and r[ph.index("timepoint_days")] == day
                and r[ph.index("field")] == "events_c"
            ):
                r[ph.index("value")] = rows[target][header.index("events_c")]
        with open(prov, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(prows)
    proc = run_make(tmp_path, data=data)
    out = proc.stdout
    status = render_status(out)
    executed = {page for page, how in status.items() if how == "executed"}
    cached = {page for page, how in status.items() if how == "cached"}
    assert "outcome-sae.qmd" in executed and "index.qmd" in executed and "brief.qmd" in executed, out
    assert {"outcome-mortality.qmd", "outcome-los.qmd", "outcome-ttci.qmd", "outcome-ventilation.qmd"} <= cached, out
    figures = next(line for line in out.splitlines() if line.startswith("figures:"))
    assert "unchanged" in figures and not figures.startswith("figures: drew 0 ")
    analysis = next(line for line in out.splitlines() if line.startswith("analysis:"))
    assert "(1 analysed, " in analysis, analysis  # the other outcomes' inputs did not change
    # a page that was not re-executed (nor re-converted) still shows the new data version in its footer
    data_hash = json.loads((tmp_path / "build" / "results" / "index.json").read_text())["data_hash"][:12]
    assert f"Data version {data_hash}" in (tmp_path / "_site" / "outcome-los.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "must_run", "must_not_run"),
    [
        ("pipeline/figures/forest.py", {"figures"}, {"validate", "analyse", "tables"}),
        ("pipeline/stats/tau2.py", {"analyse"}, {"validate"}),
        ("pipeline/present/methods_text.py", {"tables"}, {"validate", "analyse", "figures"}),
        ("pipeline/render/execute.py", {"render"}, {"validate", "analyse", "figures", "tables"}),
    ],
)
def test_editing_a_module_reruns_exactly_the_stages_that_import_it(built, module, must_run, must_not_run):
    proc = subprocess.run(
        [
            "make",
            "-n",
            "-C",
            str(ROOT),
            f"BUILD={built / 'build'}",
            f"SITE={built / '_site'}",
            "RENDERER=embedded",
            "-W",
            module,
        ],
        capture_output=True,
        text=True,
    )
    planned = {
        word
        for line in proc.stdout.splitlines()
        if "-m pipeline" in line
        for word in [line.split("-m pipeline")[1].split()[0]]
    }
    assert must_run <= planned, (module, planned)
    assert not (must_not_run & planned), (module, planned)


@pytest.mark.parametrize("stage", list(STAGES))
def test_stage_sources_cover_what_the_stage_imports_at_run_time(stage):
    """The derived source list of a stage contains every pipeline module its entry points import."""
    code = (
        "import sys, importlib\n"
        f"for m in {STAGES[stage]['modules']!r}: importlib.import_module(m)\n"
        "print('\\n'.join(sorted(m.__file__ for m in list(sys.modules.values()) if getattr(m, '__name__', '').startswith('pipeline') and getattr(m, '__file__', None))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = {str(Path(p).resolve().relative_to(ROOT)) for p in proc.stdout.split()}
    declared = set(stage_sources(stage))
    assert loaded <= declared, f"{stage}: imported but not a dependency: {sorted(loaded - declared)}"
    assert {str(p.relative_to(ROOT)) for p in closure(STAGES[stage]["modules"])} <= declared


def test_bad_data_stops_the_build_and_keeps_the_last_good_site(tmp_path):
    data = copy_data(tmp_path)
    run_make(tmp_path, data=data)
    site_before = tree_hash(tmp_path / "_site")
    results_before = tree_hash(tmp_path / "build" / "results")
    rows = list(csv.reader((data / "outcomes.csv").open(encoding="utf-8")))
    header = rows[0]
    i = next(i for i, r in enumerate(rows) if i and r[header.index("events_c")])
    rows[i][header.index("events_c")] = "99999"
    with open(data / "outcomes.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    proc = run_make(tmp_path, data=data, check=False)
    assert proc.returncode != 0
    assert f"{data}/outcomes.csv:{i + 1}: events_c: 99999 events but only" in proc.stderr
    assert "analysis:" not in proc.stdout
    assert tree_hash(tmp_path / "_site") == site_before
    assert tree_hash(tmp_path / "build" / "results") == results_before


def test_published_folders_are_0755_and_files_0644(built):
    site = built / "_site"
    for path in [site, *site.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))


def test_a_second_render_at_the_same_time_is_refused(built):
    with open(built / "build" / ".render.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipeline",
                "render",
                "--project",
                str(built / "build" / "site-src"),
                "--build",
                str(built / "build"),
                "--site",
                str(built / "_site"),
                "--renderer",
                "embedded",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    assert proc.returncode == 1
    assert "another build is rendering" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupting_the_render_keeps_the_last_good_site_and_make_repairs(tmp_path, sig):
    data = copy_data(tmp_path)
    run_make(tmp_path, data=data)
    before = tree_hash(tmp_path / "_site")
    (tmp_path / "build" / "render-cache").exists() and subprocess.run(
        ["rm", "-rf", str(tmp_path / "build" / "render-cache")], check=True
    )
    (tmp_path / "build" / "site.stamp").unlink()
    cmd = [
        "make",
        "-C",
        str(ROOT),
        f"BUILD={tmp_path / 'build'}",
        f"SITE={tmp_path / '_site'}",
        "RENDERER=embedded",
        f"DATA={data}",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = ""
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stdout.readline()
        seen += line
        if "executed" in line:
            break
    os.killpg(proc.pid, sig)
    proc.wait(timeout=60)
    assert "executed" in seen, seen
    assert tree_hash(tmp_path / "_site") == before, "an interrupted build changed the published site"
    assert (tmp_path / "_site" / "brief.pdf").exists() and (tmp_path / "_site" / "methods.html").exists()
    run_make(tmp_path, data=data)
    assert (tmp_path / "build" / "site.stamp").exists()
    assert (tmp_path / "_site" / "index.html").exists()


def test_html_and_typst_escape_strings_from_data(tmp_path):
    data = copy_data(tmp_path)
    rows = list(csv.reader((data / "studies.csv").open(encoding="utf-8")))
    header = rows[0]
    rows[1][header.index("severity")] = '<script>alert("x")</script> *bold* @fig-x | pipe'
    rows[1][header.index("title")] = "A title with *_#[]$@ and <b>tags</b>"
    with open(data / "studies.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    run_make(tmp_path, data=data)
    html = (tmp_path / "_site" / "trials.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert "*bold*" in html and "| pipe" in html and "*_#[]$@" in html
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "_site" / "brief.pdf").pages)
    assert "*_#[]$@" in text.replace("\n", " ") and "<b>tags</b>" in text.replace("\n", " ")


def test_published_csv_downloads_neutralise_formulas_but_data_keeps_them(tmp_path):
    data = copy_data(tmp_path)
    rows = list(csv.reader((data / "studies.csv").open(encoding="utf-8")))
    header = rows[0]
    rows[1][header.index("funding")] = '=HYPERLINK("http://evil","x")'
    with open(data / "studies.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    run_make(tmp_path, data=data)
    published = list(csv.DictReader((tmp_path / "_site" / "data" / "studies.csv").open(encoding="utf-8")))
    assert published[0]["funding"].startswith("'=HYPERLINK")
    assert (
        list(csv.DictReader((data / "studies.csv").open(encoding="utf-8")))[0]["funding"]
        == '=HYPERLINK("http://evil","x")'
    )
    numbers = list(
        csv.DictReader(
            (
                tmp_path / "_site" / "data" / "results" / f"{load_review_data(data).config.primary_outcome}_studies.csv"
            ).open(encoding="utf-8")
        )
    )
    assert any(r["yi"].startswith("-") for r in numbers), "negative estimates stay numbers"
