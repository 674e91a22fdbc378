"""What a ``.qmd`` page calls: load precomputed results and show them. No computation here.

The build folder is taken from ``PIPELINE_BUILD`` (set by both renderers), falling back to
``../build`` relative to ``reports/``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from IPython.display import Markdown, display

from pipeline.report.markdown_text import escape_markdown


def build_dir() -> Path:
    return Path(os.environ.get("PIPELINE_BUILD", "../build"))


def results(key: str) -> dict:
    """The analysis results for one outcome (``build/results/<key>.json``)."""
    return json.loads((build_dir() / "results" / f"{key}.json").read_text(encoding="utf-8"))


def index() -> dict:
    return json.loads((build_dir() / "results" / "index.json").read_text(encoding="utf-8"))


def show(name: str) -> None:
    """Display a Markdown fragment written by the tables stage (``build/tables/<name>.md``)."""
    display(Markdown((build_dir() / "tables" / f"{name}.md").read_text(encoding="utf-8")))


def show_forest(key: str, caption: str, label: str = "fig-forest") -> None:
    """Display the forest plot of an outcome as a figure with a caption, a cross-reference label and alt text."""
    alt = (build_dir() / "figures" / f"forest_{key}.alt.txt").read_text(encoding="utf-8")
    alt_attr = alt.replace("\\", "").replace('"', "'")
    display(Markdown(f'![{escape_markdown(caption)}](figures/forest_{key}.svg){{#{label} fig-alt="{alt_attr}"}}'))
