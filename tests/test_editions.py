"""Editions: freezing and its refusals, offline rebuild, the computed diff and its update triggers, the feed."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from pipeline.commands.edition import EditionError, freeze_edition, rebuild_edition
from pipeline.editions.diff import compute_diff
from pipeline.editions.report import box, brief_line, full
from pipeline.editions.state import OutcomeNumbers, ReviewState, load_edition

from conftest import ROOT, pipeline, run_make

ATOM = "{http://www.w3.org/2005/Atom}"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A git repository holding a copy of the BCG example, built with make."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(ROOT / "examples" / "bcg", root / "bcg")
    git(root, "init", "-q")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "data")
    run_make(root, data=root / "bcg", editions=root / "editions")
    return root


def freeze(repo: Path, editions: Path, note: str = "First edition", **kw) -> Path:
    return freeze_edition(repo / "bcg", repo / "build", repo / "_site", editions, note, **kw)


def test_freeze_writes_a_complete_edition_and_never_rewrites_one(repo, tmp_path):
    editions = tmp_path / "editions"
    first = freeze(repo, editions, today="2026-01-02")
    assert first.name == "001"
    manifest = json.loads((first / "manifest.json").read_text())
    for key in ("number", "date", "last_search", "commit", "data_hash", "software", "note", "citation", "key_numbers"):
        assert key in manifest
    assert manifest["date"] == "2026-01-02" and manifest["note"] == "First edition" and len(manifest["commit"]) == 40
    assert "Edition 001, 2026-01-02" in manifest["citation"]
    assert (first / "brief.pdf").stat().st_size > 1000
    assert (first / "data" / "outcomes.csv").exists() and (first / "results" / "tb.json").exists()
    second = freeze(repo, editions, note="Second")
    assert (
        second.name == "002"
        and (first / "manifest.json").read_text() == json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
    )


def test_freeze_refuses_dirty_data_unless_allowed_and_records_it(repo, tmp_path):
    review = repo / "bcg" / "review.yaml"
    original = review.read_text(encoding="utf-8")
    try:
        review.write_text(
            original.replace("short_title: BCG vaccine and tuberculosis", "short_title: BCG vaccine and TB"),
            encoding="utf-8",
        )
        run_make(
            repo, data=repo / "bcg", editions=repo / "editions"
        )  # the build is current, the data are not committed
        with pytest.raises(EditionError, match="uncommitted changes"):
            freeze(repo, tmp_path / "e")
        target = freeze(repo, tmp_path / "e", allow_dirty=True)
        manifest = json.loads((target / "manifest.json").read_text())
        assert manifest["allow_dirty"] is True and manifest["data_dirty"] is True
    finally:
        review.write_text(original, encoding="utf-8")
        run_make(repo, data=repo / "bcg", editions=repo / "editions")


def test_freeze_refuses_a_build_that_is_not_current_and_invalid_data(repo, tmp_path):
    review = repo / "bcg" / "review.yaml"
    original = review.read_text(encoding="utf-8")
    try:
        review.write_text(
            original.replace("short_title: BCG vaccine and tuberculosis", "short_title: BCG and TB"), encoding="utf-8"
        )
        git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "retitle")
        with pytest.raises(EditionError, match="not current"):
            freeze(repo, tmp_path / "e")
        review.write_text(original.replace("measure: RR", "measure: XX"), encoding="utf-8")
        with pytest.raises(EditionError, match="data are invalid"):
            freeze(repo, tmp_path / "e")
    finally:
        review.write_text(original, encoding="utf-8")
        git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "back")


def test_the_cli_refuses_in_one_line(repo, tmp_path):
    proc = pipeline(
        "edition",
        "--note",
        "",
        "--data-dir",
        str(repo / "bcg"),
        "--build",
        str(repo / "build"),
        "--site",
        str(repo / "_site"),
        "--editions",
        str(tmp_path),
    )
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1 and "note" in proc.stderr


def test_an_edition_rebuilds_offline_with_the_same_numbers(repo, tmp_path):
    editions = tmp_path / "editions"
    freeze(repo, editions)
    assert rebuild_edition(editions, 1) == []
    proc = pipeline("edition", "rebuild", "1", "--editions", str(editions))
    assert proc.returncode == 0 and "the same numbers" in proc.stdout
    # tamper with a frozen number: the rebuild reports the difference
    manifest = editions / "001" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["key_numbers"]["tb"]["effect"] = 0.5
    manifest.write_text(json.dumps(data))
    assert any("effect" in d for d in rebuild_edition(editions, 1))


def test_site_lists_editions_serves_permalinks_and_publishes_a_feed(repo, tmp_path):
    editions = repo / "editions"
    if editions.exists():
        shutil.rmtree(editions)
    freeze(repo, editions, note="Baseline")
    run_make(repo, data=repo / "bcg", editions=editions)
    site = repo / "_site"
    page = (site / "editions.html").read_text(encoding="utf-8")
    assert "Edition 001" in page and "Baseline" in page and 'href="editions/001/brief.pdf"' in page
    assert (site / "editions" / "001" / "brief.pdf").read_bytes() == (editions / "001" / "brief.pdf").read_bytes()
    assert "How to cite" in (site / "editions" / "001" / "index.html").read_text(encoding="utf-8")
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1 and "Edition 001" in entries[0].find(f"{ATOM}title").text
    assert entries[0].find(f"{ATOM}link").get("href").endswith("editions/001/")
    index = " ".join((site / "index.html").read_text(encoding="utf-8").split())
    assert "Edition 001" in index and "first edition" in index
    shutil.rmtree(editions)


# ---- the diff, on two hand-made editions whose differences are known ----------------------------


def numbers(key: str, effect, lo, hi, k, n, certainty, critical=True, safety=False, verdict="") -> OutcomeNumbers:
    return OutcomeNumbers(key, key.capitalize(), "RR", True, critical, safety, k, n, effect, lo, hi, certainty, verdict)


def state(label, number, date, review, studies, outcomes, screening, results) -> ReviewState:
    return ReviewState(
        label=label,
        number=number,
        date=date,
        search_date=date,
        data_hash=label,
        review=review,
        tables={
            "studies": {(s["study_id"],): s for s in studies},
            "outcomes": {(o["study_id"], o["outcome"], o["timepoint_days"]): o for o in outcomes},
            "screening": {(r["record_id"],): r for r in screening},
        },
        outcomes={r.key: r for r in results},
    )


REVIEW = {
    "question": {"population": "adults", "intervention": "X", "comparator": "placebo"},
    "outcomes": [{"key": "death", "label": "Death", "timepoint": {"min_days": 14, "max_days": 31}}],
    "analysis": {"fixed": "MH", "random": "REML", "hksj": True},
}


def edition_one() -> ReviewState:
    studies = [
        {"study_id": "a2020", "n_t": "10", "n_c": "10", "note": ""},
        {"study_id": "b2021", "n_t": "20", "n_c": "20", "note": ""},
    ]
    outcomes = [
        {"study_id": "a2020", "outcome": "death", "timepoint_days": "28", "events_t": "1", "events_c": "3", "note": ""},
        {"study_id": "b2021", "outcome": "death", "timepoint_days": "28", "events_t": "4", "events_c": "5", "note": ""},
    ]
    screening = [{"record_id": "r1", "decision": "include"}, {"record_id": "r2", "decision": "include"}]
    results = [
        numbers("death", 0.60, 0.30, 1.20, 2, 60, "very low", verdict="Not yet conclusive: 5%"),
        numbers("harm", 0.90, 0.50, 1.60, 2, 60, "low", critical=False, safety=True),
        numbers("stay", 0.95, 0.80, 1.10, 2, 60, "low", critical=False),
    ]
    return state("edition 001", 1, "2026-01-01", REVIEW, studies, outcomes, screening, results)


def test_diff_of_two_editions_is_computed_and_a_trigger_fires():
    old = edition_one()
    review = json.loads(json.dumps(REVIEW))
    review["outcomes"][0]["timepoint"]["max_days"] = 35  # a methods change
    studies = [
        {"study_id": "a2020", "n_t": "10", "n_c": "11", "note": "corrected from the registry"},
        {"study_id": "b2021", "n_t": "20", "n_c": "20", "note": ""},
        {"study_id": "c2022", "n_t": "50", "n_c": "50", "note": ""},
    ]
    outcomes = [
        {"study_id": "a2020", "outcome": "death", "timepoint_days": "28", "events_t": "1", "events_c": "3", "note": ""},
        {
            "study_id": "b2021",
            "outcome": "death",
            "timepoint_days": "28",
            "events_t": "4",
            "events_c": "6",
            "note": "recount",
        },
        {
            "study_id": "c2022",
            "outcome": "death",
            "timepoint_days": "28",
            "events_t": "5",
            "events_c": "15",
            "note": "",
        },
    ]
    screening = [
        {"record_id": "r1", "decision": "include"},
        {"record_id": "r2", "decision": "include"},
        {"record_id": "r3", "decision": "include"},
        {"record_id": "r4", "decision": "exclude"},
        {"record_id": "r5", "decision": "awaiting classification"},
    ]
    results = [
        numbers("death", 0.45, 0.28, 0.75, 3, 161, "low", verdict="Firm evidence of benefit: 60%"),
        numbers("harm", 1.90, 1.10, 3.30, 3, 161, "low", critical=False, safety=True),
        numbers("stay", 0.95, 0.80, 1.10, 2, 60, "low", critical=False),
    ]
    new = state("edition 002", 2, "2026-06-01", review, studies, outcomes, screening, results)
    d = compute_diff(old, new)
    assert d.trials_added == ["c2022"] and d.trials_removed == []
    assert [(c.table, c.key, c.column, c.old, c.new, c.note) for c in d.corrections] == [
        ("studies", ("a2020",), "n_c", "10", "11", "corrected from the registry"),
        ("outcomes", ("b2021", "death", "28"), "events_c", "5", "6", "recount"),
    ]
    assert d.screening_new == {"include": 1, "exclude": 1, "awaiting classification": 1}
    assert (
        len(d.methods_changes) == 1
        and "max_days" in d.methods_changes[0]
        and "since edition 001" in d.methods_changes[0]
    )
    flags = {o.key: o.flags for o in d.outcomes}
    assert "the 95% CI newly excludes no effect" in flags["death"]
    assert "certainty moved (very low to low)" in flags["death"]
    assert any(f.startswith("sequential-analysis verdict changed") for f in flags["death"])
    assert "direction of effect changed (benefit to harm)" in flags["harm"]
    assert flags["stay"] == []
    assert d.republish and any("critical outcome 'Death'" in t for t in d.triggers)
    assert d.adverse_event_signals and "Harm" in d.adverse_event_signals[0]
    text = full(d)
    assert "Republish: yes, because" in text and "c2022" in text and "recount" in text
    assert "1 new included trial" in box(d) and "What's new" in box(d)
    assert "conclusions changed for Death, Harm" in brief_line(d).replace("\\", "")


def test_diff_where_no_trigger_is_met():
    old = edition_one()
    results = [
        numbers("death", 0.61, 0.31, 1.21, 2, 60, "very low", verdict="Not yet conclusive: 5%"),
        numbers("harm", 0.90, 0.50, 1.60, 2, 60, "low", critical=False, safety=True),
        numbers("stay", 0.93, 0.79, 1.09, 3, 80, "low", critical=False),
    ]
    new = state(
        "edition 002",
        2,
        "2026-06-01",
        REVIEW,
        [asdict_row(r) for r in old.tables["studies"].values()],
        list(old.tables["outcomes"].values()),
        list(old.tables["screening"].values()),
        results,
    )
    d = compute_diff(old, new)
    assert not d.republish and d.triggers == []
    assert "no trigger met" in full(d)
    assert all(set(o.flags) <= {"estimate updated"} for o in d.outcomes)


def asdict_row(row: dict) -> dict:
    return dict(row)


def test_the_diff_command_between_two_editions(tmp_path):
    editions = tmp_path / "editions"
    for state_ in (edition_one(),):
        folder = editions / f"{state_.number:03d}"
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "review.yaml").write_text(yaml.safe_dump(state_.review), encoding="utf-8")
        (folder / "data" / "studies.csv").write_text("study_id,n_t,n_c,note\na2020,10,10,\n", encoding="utf-8")
        manifest = {
            "number": 1,
            "date": state_.date,
            "last_search": state_.date,
            "data_hash": "x",
            "key_numbers": {k: asdict(v) for k, v in state_.outcomes.items()},
        }
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    second = editions / "002"
    shutil.copytree(editions / "001", second)
    (second / "data" / "studies.csv").write_text("study_id,n_t,n_c,note\na2020,10,10,\nz2025,5,5,\n", encoding="utf-8")
    m = json.loads((second / "manifest.json").read_text())
    m["number"] = 2
    (second / "manifest.json").write_text(json.dumps(m))
    assert load_edition(second).number == 2
    proc = pipeline("diff", "1", "2", "--editions", str(editions))
    assert proc.returncode == 0 and "Trials added: z2025" in proc.stdout
