"""Figures stage: ``build/results/*.json`` -> ``build/figures/forest_<outcome>.svg|.pdf`` (+ alt text)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pipeline.figures.forest import draw_forest, forest_alt_text  # noqa: E402
from pipeline.figures.funnel import draw_funnel  # noqa: E402

# Reproducible SVG: no random ids, no date in the metadata.
matplotlib.rcParams["svg.hashsalt"] = "msc-covid"
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, accessible, smaller
matplotlib.rcParams["font.family"] = "DejaVu Sans"


def write_figures(results_dir: Path, out_dir: Path) -> list[Path]:
    index = json.loads((results_dir / "index.json").read_text(encoding="utf-8"))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".figures-", dir=out_dir.parent))
    try:
        for entry in index["outcomes"]:
            if not entry.get("analysed"):
                continue
            result = json.loads((results_dir / f"{entry['key']}.json").read_text(encoding="utf-8"))
            if not result["studies"]:
                continue
            fig = draw_forest(result)
            fig.savefig(tmp / f"forest_{entry['key']}.svg", metadata={"Date": None})
            fig.savefig(tmp / f"forest_{entry['key']}.pdf", metadata={"CreationDate": None})
            plt.close(fig)
            (tmp / f"forest_{entry['key']}.alt.txt").write_text(forest_alt_text(result), encoding="utf-8")
            funnel = draw_funnel(result)  # None below 10 trials: the results page says why
            if funnel is not None:
                funnel.savefig(tmp / f"funnel_{entry['key']}.svg", metadata={"Date": None})
                funnel.savefig(tmp / f"funnel_{entry['key']}.pdf", metadata={"CreationDate": None})
                plt.close(funnel)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return sorted(out_dir.iterdir())
