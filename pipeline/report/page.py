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


def outcome_keys(exclude: tuple[str, ...] = ()) -> list[str]:
    """Analysed outcomes in review.yaml order, minus ``exclude``."""
    return [o["key"] for o in index()["outcomes"] if o.get("analysed") and o["key"] not in exclude]


def show_outcome_section(key: str) -> None:
    """Heading, plain-language reading, forest plot and tables of one outcome."""
    result = results(key)
    display(Markdown(f"## {escape_markdown(result['outcome']['label'])} {{#{key}}}"))
    show(f"{key}_summary")
    if result["studies"]:
        timepoint = result["outcome"]["timepoint"].get("label", "")
        slug = key.replace("_", "-")
        show_forest(key, f"{result['outcome']['label']}: {timepoint}.", label=f"fig-forest-{slug}")
        show(f"{key}_provenance")
        show(f"{key}_studies")
        show(f"{key}_pooled")
        display(Markdown("### Subgroups"))
        for variable, title in (("msc_source_group", "MSC source"), ("design", "design")):
            if figure_exists(f"forest_{key}_by_{variable}"):
                show_figure(
                    f"forest_{key}_by_{variable}",
                    f"{result['outcome']['label']} by {title}, with subtotals and the test for subgroup differences.",
                    f"fig-{slug}-by-{variable.replace('_', '-')}",
                )
        display(Markdown("### Sensitivity analyses"))
        show(f"{key}_sensitivity")
    display(Markdown("**Trials without usable data for this outcome**"))
    show(f"{key}_not_analysed")


def show_figure(stem: str, caption: str, label: str) -> None:
    """Display a figure from the figures stage (``figures/<stem>.svg``) with its stored alt text."""
    alt_file = build_dir() / "figures" / f"{stem}.alt.txt"
    alt = alt_file.read_text(encoding="utf-8") if alt_file.exists() else caption
    alt_attr = alt.replace("\\", "").replace('"', "'")
    display(Markdown(f'![{escape_markdown(caption)}](figures/{stem}.svg){{#{label} fig-alt="{alt_attr}"}}'))


def figure_exists(stem: str) -> bool:
    return (build_dir() / "figures" / f"{stem}.svg").exists()


def edition() -> None:
    """Edition line: build date and data version (hash of data/)."""
    from datetime import date

    info = index()
    display(
        Markdown(
            f"*Edition of {date.today().isoformat()} · data version `{info.get('data_hash', '')[:12]}` · "
            f"{info.get('n_studies', 0)} trials in the data*"
        )
    )


def show_sof() -> None:
    show("sof")


def show_rob_table(tool: str) -> None:
    show(f"rob_{'rob2' if tool == 'RoB 2' else 'robins_i'}")


def show_downloads() -> None:
    """The data package's resources as a table of links (``data/`` on the site)."""
    import pandas as pd

    from pipeline.report.markdown_text import markdown_table

    package = json.loads((build_dir() / "site-data" / "datapackage.json").read_text(encoding="utf-8"))
    rows = [
        {
            "File": f"[{escape_markdown(r['path'])}](data/{r['path']})",
            "Format": r["format"],
            "Contents": escape_markdown(r.get("title") or r.get("description", "")),
        }
        for r in package["resources"]
    ]
    display(
        Markdown(
            "The raw tables, their schemas and every computed result, described by a Frictionless "
            "[datapackage.json](data/datapackage.json) (version "
            f"`{escape_markdown(package.get('version', ''))}`).\n\n"
            + markdown_table(pd.DataFrame(rows), escape_columns=[])
        )
    )
