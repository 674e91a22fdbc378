"""Figures stage: review.json + results -> ``build/<review>/figures/*.svg`` (+ ``*.alt.txt``).

Each figure is a job with a key: a hash of exactly the inputs it draws (the outcome's result, the
risk-of-bias rows, the screening counts) and of the drawing code. A figure whose key is unchanged
is not redrawn, so an edit to one outcome redraws that outcome's figures only; the others are kept.
Jobs that must be drawn run in parallel, one process per core.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from multiprocessing import get_context
from pathlib import Path

from pipeline.build_system.output_files import write_atomic
from pipeline.build_system.stage_deps import code_digest
from pipeline.inputs.load import ReviewData, read_review_json
from pipeline.present.paging import ROWS_PER_PAGE, pages
from pipeline.results.contract import OutcomeResult
from pipeline.results.load import load_outcome
from pipeline.results.serialise import dumps

MANIFEST = ".manifest.json"


@dataclass(frozen=True)
class FigureJob:
    stem: str
    kind: str  # forest | forest_print | forest_page | forest_rob | subgroup | cumulative | sequential | funnel | rob_traffic | rob_summary | prisma
    outcome: str = ""
    arg: str = ""  # subgroup column, page "first:last", tool|palette
    key: str = ""


@cache
def _code_key() -> str:
    return code_digest(["pipeline.figures.write"])


def _digest(*parts: str) -> str:
    h = hashlib.sha256(_code_key().encode())
    for p in parts:
        h.update(b"\0" + p.encode("utf-8"))
    return h.hexdigest()


def plan_jobs(data: ReviewData, results: dict[str, OutcomeResult]) -> list[FigureJob]:
    """Every figure the pages may show, each with the key of its inputs."""
    jobs: list[FigureJob] = []
    labels = json.dumps(data.config.labels.__dict__, sort_keys=True)
    rob_rows = data.table("risk_of_bias")
    primary = data.config.primary_outcome
    for key, result in results.items():
        if not result.studies:
            continue
        text = dumps(result)
        base = _digest(text, labels)
        jobs.append(FigureJob(f"forest_{key}", "forest", key, key=base))
        if key == primary:
            jobs.append(FigureJob(f"forest_{key}_print", "forest_print", key, key=base))
        if result.k > ROWS_PER_PAGE:
            for i, (a, b) in enumerate(pages(result.k), start=1):
                jobs.append(FigureJob(f"forest_{key}_page{i}", "forest_page", key, f"{a}:{b}", key=base))
        if rob_rows:
            rob = data.risk_of_bias_domains(key)
            jobs.append(
                FigureJob(
                    f"forest_{key}_rob", "forest_rob", key, key=_digest(text, labels, json.dumps(rob, sort_keys=True))
                )
            )
        for sg in result.subgroups:
            jobs.append(FigureJob(f"forest_{key}_by_{sg.column}", "subgroup", key, sg.column, key=base))
        if len(result.cumulative) > 1:
            jobs.append(FigureJob(f"cumulative_{key}", "cumulative", key, key=base))
        if result.sequential is not None:
            jobs.append(FigureJob(f"sequential_{key}", "sequential", key, key=base))
        if result.k >= 10:
            jobs.append(FigureJob(f"funnel_{key}", "funnel", key, key=base))
    rob_outcome = data.config.rob_outcome
    if rob_rows and rob_outcome in results:
        weights_text = dumps(
            {s.study_id: s.weights.get(results[rob_outcome].headline_model) for s in results[rob_outcome].studies}
        )
        for tool, stem in (("RoB 2", "rob2"), ("ROBINS-I", "robins_i")):
            rows = [r for r in rob_rows if r["tool"] == tool and r["outcome"] == rob_outcome]
            if not rows:
                continue
            rows_text = json.dumps(rows, sort_keys=True)
            labels_text = json.dumps({s["study_id"]: s["label"] for s in data.studies}, sort_keys=True)
            for palette, suffix in (("cochrane", ""), ("colourblind", "_colourblind")):
                jobs.append(
                    FigureJob(
                        f"{stem}_traffic_light{suffix}",
                        "rob_traffic",
                        rob_outcome,
                        f"{tool}|{palette}",
                        key=_digest(rows_text, labels_text, palette),
                    )
                )
                jobs.append(
                    FigureJob(
                        f"{stem}_summary{suffix}",
                        "rob_summary",
                        rob_outcome,
                        f"{tool}|{palette}",
                        key=_digest(rows_text, weights_text, palette),
                    )
                )
    if data.has_table("screening"):
        from pipeline.figures.prisma_flow import prisma_counts

        counts = prisma_counts(data.table("screening"))
        jobs.append(FigureJob("prisma", "prisma", key=_digest(json.dumps(counts, sort_keys=True))))
    return jobs


# ---- drawing (runs in worker processes) ---------------------------------------------------------

DRAWING_MODULES = {
    "forest": "forest",
    "forest_print": "forest",
    "forest_page": "forest",
    "forest_rob": "forest",
    "subgroup": "forest",
    "cumulative": "forest",
    "sequential": "sequential",
    "funnel": "funnel",
    "rob_traffic": "risk_of_bias",
    "rob_summary": "risk_of_bias",
    "prisma": "prisma",
}

_STATE: dict[str, object] = {}


def _init(review_json: str, results_dir: str, out_dir: str) -> None:
    _STATE.update(review_json=review_json, results_dir=results_dir, out_dir=out_dir)


@cache
def _data() -> ReviewData:
    return read_review_json(Path(str(_STATE["review_json"])))


@cache
def _result(key: str) -> OutcomeResult:
    return load_outcome(Path(str(_STATE["results_dir"])), key)


def _warm_up() -> None:
    """Draw an empty figure with text once, before the workers fork: font loading and matplotlib's
    first-draw set-up then happen once, not in every worker."""
    from matplotlib.figure import Figure

    from pipeline.figures.style import svg_bytes

    fig = Figure(figsize=(1, 1))
    fig.text(0.5, 0.5, "warm-up", fontweight="bold")
    fig.subplots().plot([0, 1], [0, 1])
    svg_bytes(fig)


def draw_job(job: FigureJob) -> tuple[str, float]:
    """Draw one figure into the output folder; returns (stem, seconds)."""
    from pipeline.figures import forest, funnel, prisma, risk_of_bias, sequential
    from pipeline.figures.style import write_figure

    start = time.perf_counter()
    data = _data()
    labels = data.config.labels
    out = Path(str(_STATE["out_dir"]))
    result = _result(job.outcome) if job.outcome and job.kind not in ("rob_traffic", "rob_summary") else None
    if job.kind == "forest":
        fig, alt = (
            forest.draw_forest(
                forest.forest_layout(
                    result, labels, page=(0, forest.ROWS_PER_PAGE) if result.k > forest.ROWS_PER_PAGE else None
                )
            ),
            forest.forest_alt_text(result, labels),
        )
    elif job.kind == "forest_print":
        layout = forest.forest_layout(result, labels, page=(0, 25) if result.k > 25 else None, print_mode=True)
        fig, alt = forest.draw_forest(layout), forest.forest_alt_text(result, labels)
    elif job.kind == "forest_page":
        a, b = (int(v) for v in job.arg.split(":"))
        fig, alt = (
            forest.draw_forest(forest.forest_layout(result, labels, page=(a, b))),
            forest.forest_alt_text(result, labels) + f" Trials {a + 1} to {b}.",
        )
    elif job.kind == "forest_rob":
        rob = data.risk_of_bias_domains(job.outcome)
        fig = forest.draw_forest(
            forest.forest_layout(
                result, labels, rob=rob, page=(0, forest.ROWS_PER_PAGE) if result.k > forest.ROWS_PER_PAGE else None
            )
        )
        alt = (
            forest.forest_alt_text(result, labels) + " Risk-of-bias judgements per domain are shown beside each trial."
        )
    elif job.kind == "subgroup":
        sg = result.subgroup(job.arg)
        fig = forest.draw_forest(forest.subgroup_layout(result, job.arg, labels))
        alt = f"Forest plot of {result.outcome.label.lower()} by {sg.title}, with subtotals and the test for subgroup differences."
    elif job.kind == "cumulative":
        fig = forest.draw_forest(forest.cumulative_layout(result, labels))
        alt = f"Cumulative forest plot of {result.outcome.label.lower()}: the pooled estimate after each trial, in order of publication."
    elif job.kind == "sequential":
        fig, alt = sequential.draw_sequential(result, labels), sequential.sequential_alt_text(result)
    elif job.kind == "funnel":
        fig, alt = funnel.draw_funnel(result), f"Funnel plot of {result.outcome.label.lower()}."
    elif job.kind in ("rob_traffic", "rob_summary"):
        tool, palette = job.arg.split("|")
        rows = [r for r in data.table("risk_of_bias") if r["tool"] == tool and r["outcome"] == job.outcome]
        label = data.config.outcome(job.outcome).short.lower()
        if job.kind == "rob_traffic":
            trial_labels = {s["study_id"]: s["label"] for s in data.studies}
            fig = risk_of_bias.traffic_light(rows, tool, trial_labels, palette)
            alt = f"{tool} traffic-light plot for {label}: {len({r['study_id'] for r in rows})} trials by domain, with a symbol per judgement."
        else:
            res = _result(job.outcome)
            weights = {s.study_id: s.weights.get(res.headline_model) or 0.0 for s in res.studies}
            fig = risk_of_bias.summary_bars(rows, tool, weights, label, palette)
            alt = f"{tool} summary: share of the {label} analysis weight at each judgement, per domain."
    elif job.kind == "prisma":
        counts = prisma.prisma_counts(data.table("screening"))
        write_atomic(out / "prisma_counts.json", json.dumps(counts, indent=1))
        fig, alt = prisma.draw_prisma(counts), prisma.prisma_alt_text(counts)
    else:
        raise ValueError(f"unknown figure kind {job.kind}")
    write_figure(fig, out, job.stem, alt)
    return job.stem, time.perf_counter() - start


def write_figures(review_json: Path, results_dir: Path, out_dir: Path, workers: int | None = None) -> list[Path]:
    data = read_review_json(review_json)
    results = {o.key: load_outcome(results_dir, o.key) for o in data.config.outcomes}
    jobs = plan_jobs(data, results)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    todo = [j for j in jobs if manifest.get(j.stem) != j.key or not (out_dir / f"{j.stem}.svg").exists()]
    _init(str(review_json), str(results_dir), str(out_dir))
    workers = workers or min(len(todo), os.cpu_count() or 1, 2)
    start = time.perf_counter()
    # import the drawing modules the work needs (matplotlib) once, before the workers fork
    for module in sorted({DRAWING_MODULES[j.kind] for j in todo}):
        importlib.import_module(f"pipeline.figures.{module}")
    if todo:
        _warm_up()
    if workers > 1 and len(todo) > 3:
        with ProcessPoolExecutor(
            workers,
            mp_context=get_context("fork"),
            initializer=_init,
            initargs=(str(review_json), str(results_dir), str(out_dir)),
        ) as pool:
            done = list(pool.map(draw_job, todo, chunksize=max(1, len(todo) // (workers * 4))))
    else:
        done = [draw_job(j) for j in todo]
    wanted = {j.stem for j in jobs}
    for path in out_dir.iterdir():
        stem = path.name.split(".")[0]
        if path.is_file() and path.suffix in (".svg", ".txt") and stem not in wanted:
            path.unlink()
    new_manifest = {j.stem: j.key for j in jobs}
    write_atomic(manifest_path, json.dumps(new_manifest, indent=1, sort_keys=True))  # an interrupt leaves the old one
    print(
        f"figures: drew {len(done)} of {len(jobs)} ({len(jobs) - len(todo)} unchanged) in {time.perf_counter() - start:.1f} s"
    )
    return sorted(out_dir / f"{j.stem}.svg" for j in jobs)
