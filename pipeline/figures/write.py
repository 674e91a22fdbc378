"""Figures stage: results and data -> ``build/figures/*.svg|.pdf`` (+ ``*.alt.txt`` alt text).

Forest plots per outcome (plain and by subgroup), funnel plots (k >= 10 only), risk-of-bias
traffic-light and summary plots (Cochrane and colour-blind palettes) and the PRISMA 2020 flow.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pipeline.figures.forest import draw_forest, draw_subgroup_forest, forest_alt_text  # noqa: E402
from pipeline.figures.funnel import draw_funnel  # noqa: E402
from pipeline.figures.prisma import draw_prisma, prisma_alt_text, prisma_counts  # noqa: E402
from pipeline.figures.risk_of_bias import summary_bars, traffic_light  # noqa: E402
from pipeline.inputs.load import load_review_data  # noqa: E402

# Reproducible SVG: no random ids, no date in the metadata.
matplotlib.rcParams["svg.hashsalt"] = "msc-covid"
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, accessible, smaller
matplotlib.rcParams["font.family"] = "DejaVu Sans"


def save(fig, folder: Path, stem: str, alt: str | None = None) -> None:
    """SVG for the site, vector PDF for print, and the alt text beside them."""
    fig.savefig(folder / f"{stem}.svg", metadata={"Date": None})
    fig.savefig(folder / f"{stem}.pdf", metadata={"CreationDate": None})
    plt.close(fig)
    if alt:
        (folder / f"{stem}.alt.txt").write_text(alt, encoding="utf-8")


def write_figures(results_dir: Path, out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    index = json.loads((results_dir / "index.json").read_text(encoding="utf-8"))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".figures-", dir=out_dir.parent))
    try:
        for entry in index["outcomes"]:
            if not entry.get("analysed"):
                continue
            key = entry["key"]
            result = json.loads((results_dir / f"{key}.json").read_text(encoding="utf-8"))
            if not result["studies"]:
                continue
            save(draw_forest(result), tmp, f"forest_{key}", forest_alt_text(result))
            for variable, sg in result.get("subgroups", {}).items():
                alt = f"Forest plot of {result['outcome']['label'].lower()} by {sg['title']}, with subtotals."
                save(draw_subgroup_forest(result, variable), tmp, f"forest_{key}_by_{variable}", alt)
            funnel = draw_funnel(result)  # None below 10 trials: the results page says why
            if funnel is not None:
                save(funnel, tmp, f"funnel_{key}", f"Funnel plot of {result['outcome']['label'].lower()}.")
        if data_dir is not None:
            write_data_figures(load_review_data(data_dir), results_dir, tmp)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return sorted(out_dir.iterdir())


def write_data_figures(data, results_dir: Path, out: Path) -> None:
    """Risk-of-bias plots (weights from the mortality analysis) and the PRISMA flow diagram."""
    labels = {s["study_id"]: s["label"] for s in data.studies}
    mortality = json.loads((results_dir / "mortality.json").read_text(encoding="utf-8"))
    model = mortality.get("headline_model", "fixed")
    weights = {s["study_id"]: s.get(f"weight_{model}") or 0.0 for s in mortality["studies"]}
    for tool, stem in (("RoB 2", "rob2"), ("ROBINS-I", "robins_i")):
        rows = [r for r in data.risk_of_bias if r["tool"] == tool and r["outcome"] == "mortality"]
        if not rows:
            continue
        trials = len({r["study_id"] for r in rows})
        for palette, suffix in (("cochrane", ""), ("colourblind", "_colourblind")):
            save(
                traffic_light(rows, tool, labels, palette),
                out,
                f"{stem}_traffic_light{suffix}",
                f"{tool} traffic-light plot for mortality: {trials} trials by domain, with a symbol per judgement.",
            )
            save(
                summary_bars(rows, tool, weights, palette),
                out,
                f"{stem}_summary{suffix}",
                f"{tool} summary: share of the mortality analysis weight at each judgement, per domain.",
            )
    rob_by_study: dict[str, dict[str, str]] = {}
    for r in data.risk_of_bias:
        if r["outcome"] == "mortality":
            rob_by_study.setdefault(r["study_id"], {})[r["domain"]] = r["judgement"]
    if rob_by_study and mortality["studies"]:
        save(
            draw_forest(mortality, rob=rob_by_study),
            out,
            "forest_mortality_rob",
            forest_alt_text(mortality) + " Risk-of-bias judgements per domain are shown beside each trial.",
        )
    if data.screening:
        counts = prisma_counts(data.screening)
        (out / "prisma_counts.json").write_text(json.dumps(counts, indent=1), encoding="utf-8")
        save(draw_prisma(counts), out, "prisma", prisma_alt_text(counts))
