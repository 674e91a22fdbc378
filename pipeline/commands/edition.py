"""Freeze the current build as a numbered edition, and rebuild a past edition from its frozen files.

``python -m pipeline edition --note "..."`` copies the data folder as it is, the results, the
summary-of-findings rows and the brief into ``editions/NNN/`` with a manifest (number, date, date of
the last search, git commit, data hash, software versions, note, citation line, key numbers). It
refuses, with a one-line reason, when the data are invalid, the build is not current, or the data
folder has uncommitted changes (unless ``allow_dirty``, which the manifest records); it never
rewrites an edition.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path

from pipeline.build_system.errors import BuildError
from pipeline.editions.numbers import current_numbers
from pipeline.editions.state import MANIFEST_VERSION, list_editions
from pipeline.inputs.load import data_hash, read_review_json, review_data, write_review_json
from pipeline.inputs.validate import check_data_dir


class EditionError(BuildError):
    """An edition cannot be made (or rebuilt); the message is one line for the user."""


def git_commit(path: Path) -> str:
    proc = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "not a git repository"


def data_is_dirty(data_dir: Path) -> bool | None:
    """True when git sees uncommitted changes in the data folder; None when it is not under git."""
    proc = subprocess.run(
        ["git", "-C", str(data_dir), "status", "--porcelain", "--untracked-files=all", "--", "."],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return None
    return bool(proc.stdout.strip())


def citation_line(title: str, authors: list[str], url: str, number: int, day: str, version: str) -> str:
    who = ", ".join(authors) + ". " if authors else ""
    where = f" {url.rstrip('/')}/editions/{number:03d}/" if url else ""
    return f"{who}{title}. Edition {number:03d}, {day}.{where} Data version {version}."


def freeze_edition(
    data_dir: Path,
    build: Path,
    site: Path,
    editions_dir: Path,
    note: str,
    allow_dirty: bool = False,
    today: str | None = None,
) -> Path:
    data_dir, build, editions_dir = Path(data_dir), Path(build), Path(editions_dir)
    if not note.strip():
        raise EditionError('give the edition a one-line note: --note "what this edition adds"')
    checked = check_data_dir(data_dir)
    if checked.problems:
        raise EditionError(
            f"refused: the data are invalid ({len(checked.problems)} problem(s)); run make validate and fix them"
        )
    review_json = build / "review.json"
    current_hash = data_hash(data_dir)
    if not review_json.exists() or read_review_json(review_json).data_hash != current_hash:
        raise EditionError("refused: the build is not current (the data changed since the last make); run make first")
    stamp = build / "site.stamp"
    if (
        not stamp.exists()
        or stamp.read_text(encoding="utf-8").strip() != current_hash
        or not (site / "brief.pdf").exists()
    ):
        raise EditionError("refused: the site and brief were not built from the current data; run make first")
    dirty = data_is_dirty(data_dir)
    if dirty and not allow_dirty:
        raise EditionError(
            f"refused: {data_dir} has uncommitted changes; commit them, or pass --allow-dirty (recorded in the manifest)"
        )
    data = read_review_json(review_json)
    existing = list_editions(editions_dir)
    number = (int(existing[-1].name) + 1) if existing else 1
    target = editions_dir / f"{number:03d}"
    if target.exists():
        raise EditionError(f"refused: {target} already exists; editions are never rewritten")
    day = today or date.today().isoformat()
    index = json.loads((build / "results" / "index.json").read_text(encoding="utf-8"))
    c = data.config
    numbers = current_numbers(data, build / "results", build / "tables")
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "number": number,
        "date": day,
        "title": c.title,
        "note": note.strip(),
        "last_search": c.search.last_search,
        "commit": git_commit(data_dir),
        "data_hash": current_hash,
        "data_dirty": bool(dirty),
        "allow_dirty": allow_dirty,
        "software": index.get("software", {}),
        "citation": citation_line(c.title, c.citation_authors, c.citation_url, number, day, current_hash[:12]),
        "n_studies": len(data.studies),
        "key_numbers": {k: asdict(v) for k, v in numbers.items()},
    }
    editions_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{number:03d}-", dir=editions_dir))
    try:
        shutil.copytree(data_dir, tmp / "data", ignore=shutil.ignore_patterns(".*", "__pycache__"))
        shutil.copytree(build / "results", tmp / "results", ignore=shutil.ignore_patterns(".*"))
        for table in sorted((build / "site-data" / "results").glob("*.csv")):  # the download's CSV tables
            shutil.copy(table, tmp / "results" / table.name)
        shutil.copy(build / "tables" / "summary_of_findings.json", tmp / "summary_of_findings.json")
        shutil.copy(site / "brief.pdf", tmp / "brief.pdf")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        for p in [tmp, *tmp.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        tmp.rename(target)  # fails if another process made the same number meanwhile
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


def rebuild_edition(editions_dir: Path, number: int, workdir: Path | None = None) -> list[str]:
    """Re-run the analysis offline from an edition's frozen data; return the differences from its
    frozen key numbers (empty: the same numbers)."""
    from pipeline.analysis.write import write_results
    from pipeline.tables.write import write_tables

    folder = Path(editions_dir) / f"{number:03d}"
    if not (folder / "manifest.json").exists():
        raise EditionError(f"no edition {number:03d} in {editions_dir}")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    checked = check_data_dir(folder / "data")
    if checked.problems:
        raise EditionError(f"edition {number:03d}'s frozen data no longer validate: {checked.problems[0]}")
    with tempfile.TemporaryDirectory(prefix="rebuild-") as scratch:
        work = Path(workdir or scratch)
        data = review_data(checked)
        write_review_json(data, work / "review.json")
        write_results(work / "review.json", work / "results")
        write_tables(work / "review.json", work / "results", work / "tables")
        rebuilt = current_numbers(read_review_json(work / "review.json"), work / "results", work / "tables")
    differences = []
    for key, frozen in manifest["key_numbers"].items():
        now = rebuilt.get(key)
        if now is None:
            differences.append(f"{key}: not in the rebuild")
            continue
        for name in ("k", "participants", "effect", "ci_lower", "ci_upper", "certainty"):
            a, b = frozen.get(name), getattr(now, name)
            same = a == b or (isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1e-9 * max(1.0, abs(a)))
            if not same:
                differences.append(f"{key}: {name} {a!r} in the edition, {b!r} rebuilt")
    return differences
