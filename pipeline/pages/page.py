"""What a ``.qmd`` page calls: show precomputed fragments and figures. No computation here.

The build folder is taken from ``PIPELINE_BUILD`` (set by both renderers). Every file a page reads
or looks for is recorded (:data:`READS`), so the renderer re-executes a page only when one of them
changed; pages must therefore read the build only through these functions.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from IPython.display import Markdown as _Rendered
from IPython.display import display

from pipeline.present.plain_language import lower_first
from pipeline.present.to_markdown import Markdown, code, figure, link, md, table, text

READS: dict[str, str] = {}  # build-relative path -> sha256 of its bytes, or "absent"
OPENED: set[str] = set()  # build-relative paths opened by any code of the page (audit hook)
_HOOKED: list[bool] = []


def build_dir() -> Path:
    return Path(os.environ.get("PIPELINE_BUILD", "../build"))


def _read(relative: str) -> str | None:
    path = build_dir() / relative
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        READS[relative] = "absent"
        return None
    READS[relative] = hashlib.sha256(data).hexdigest()
    return data.decode("utf-8")


def _show(markdown: Markdown) -> None:
    """Put Markdown made by the Markdown writer (a fragment or a template) into the page."""
    display(_Rendered(str(markdown)))


def fragment(name: str, folder: str = "tables") -> str:
    """The text of a fragment (``<folder>/<name>.md``: tables stage, or ``changes`` for editions); empty when absent."""
    return _read(f"{folder}/{name}.md") or ""


def show(name: str, folder: str = "tables") -> None:
    """Display a Markdown fragment written by the tables (or editions) stage."""
    shown = fragment(name, folder)
    if shown.strip():
        _show(Markdown(shown))  # the tables stage wrote it through the Markdown writer


def show_if(name: str, heading: str, folder: str = "tables") -> None:
    """A heading and the fragment, only when the fragment has content."""
    shown = fragment(name, folder)
    if shown.strip():
        _show(md("{}\n\n{}", Markdown(heading), Markdown(shown)))


def figure_exists(stem: str) -> bool:
    return _read(f"figures/{stem}.alt.txt") is not None


def show_figure(stem: str, caption: str, label: str, otherwise: str = "") -> None:
    """A figure from the figures stage with its caption, cross-reference label and stored alt text."""
    alt = _read(f"figures/{stem}.alt.txt")
    if alt is None:
        if otherwise:
            _show(text(otherwise))
        return
    _show(figure(f"figures/{stem}.svg", caption, label, alt))


def labels() -> dict:
    text = _read("tables/labels.json")
    return json.loads(text) if text else {}


def outcome(key: str) -> None:
    """The whole body of an outcome page, in the order a Cochrane reader expects."""
    info = json.loads(_read(f"tables/{key}_page.json") or "{}")
    label = info.get("label", key)
    show(f"{key}_summary")
    if not info.get("k"):
        _show(Markdown("**Trials without usable data for this outcome**"))
        show(f"{key}_not_analysed")
        return
    slug = key.replace("_", "-")
    _show(Markdown("## Forest plot"))
    pages = info.get("pages", 1)
    show_figure(f"forest_{key}", f"{info.get('label', key)}: {info.get('timepoint', '')}.", f"fig-forest-{slug}")
    if pages > 1:
        _show(md("The plot shows the first trials and the pooled rows; all {} trials, page by page:", info["k"]))
        for i in range(1, pages + 1):
            show_figure(
                f"forest_{key}_page{i}", f"{info.get('label', key)}, page {i} of {pages}.", f"fig-forest-{slug}-p{i}"
            )
    show(f"{key}_provenance")
    _show(Markdown("## Trials and their data"))
    show(f"{key}_studies")
    _show(Markdown("**Trials without usable data for this outcome**"))
    show(f"{key}_not_analysed")
    _show(Markdown("## Pooled results"))
    show(f"{key}_pooled")
    show(f"{key}_headline")
    if figure_exists(f"forest_{key}_rob"):
        _show(Markdown("## Risk of bias beside the effects"))
        show_figure(
            f"forest_{key}_rob",
            f"{info.get('label', key)} with each trial's risk-of-bias judgements.",
            f"fig-{slug}-rob",
        )
    subgroups = info.get("subgroups", [])
    if subgroups:
        _show(Markdown("## Subgroups"))
        for column, title in subgroups:
            show_figure(
                f"forest_{key}_by_{column}",
                f"{info.get('label', key)} by {title}, with subtotals and the test for subgroup differences.",
                f"fig-{slug}-by-{column.replace('_', '-')}",
            )
    _show(Markdown("## Sensitivity analyses"))
    show(f"{key}_sensitivity")
    if figure_exists(f"cumulative_{key}"):
        show_figure(
            f"cumulative_{key}",
            f"Cumulative meta-analysis of {lower_first(label)}, in order of publication.",
            f"fig-{slug}-cumulative",
        )
    if figure_exists(f"sequential_{key}"):
        _show(Markdown("## Trial sequential analysis (secondary display)"))
        _show(
            text(
                "The Cochrane Handbook (chapter 22) advises against basing conclusions on trial sequential analysis; "
                "it is shown beside GRADE, not instead of it."
            )
        )
        show_figure(f"sequential_{key}", f"Trial sequential analysis of {lower_first(label)}.", f"fig-{slug}-tsa")
        show(f"{key}_sequential")
    if figure_exists(f"funnel_{key}"):
        _show(Markdown("## Small-study effects"))
        show_figure(f"funnel_{key}", f"Funnel plot of {lower_first(label)}.", f"fig-{slug}-funnel")


def show_downloads() -> None:
    """The data package's resources as a table of links (``data/`` on the site)."""
    package = json.loads(_read("site-data/datapackage.json") or '{"resources": []}')
    rows = [
        {
            "File": link(r["path"], f"data/{r['path']}"),
            "Format": r["format"],
            "Contents": r.get("title") or r.get("description", ""),
        }
        for r in package["resources"]
    ]
    _show(
        md(
            "The raw tables, their schemas and every computed result, described by a Frictionless "
            "[datapackage.json](data/datapackage.json) (version {}).\n\n{}",
            code(package.get("version", "")),
            table(rows),
        )
    )


def _audit(event: str, args: tuple) -> None:
    if event != "open" or not isinstance(args[0], str | bytes | os.PathLike):
        return
    try:
        path = os.path.realpath(os.fsdecode(args[0]))
        root = os.path.realpath(build_dir())
    except (TypeError, ValueError):
        return
    if path.startswith(root + os.sep):
        OPENED.add(os.path.relpath(path, root))


def begin() -> None:
    """Start recording what a page reads (the renderer calls this before a page's cells)."""
    import sys

    READS.clear()
    OPENED.clear()
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED.append(True)


def end() -> str:
    """Everything the page read, with content hashes (the renderer's hidden last cell prints it)."""
    for rel in sorted(OPENED - set(READS)):
        try:
            READS[rel] = hashlib.sha256((build_dir() / rel).read_bytes()).hexdigest()
        except OSError:
            READS[rel] = "absent"
    return json.dumps(READS, sort_keys=True)
