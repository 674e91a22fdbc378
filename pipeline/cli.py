"""The command line. Each stage reads files and writes files under the review's build folder.

Every failure reaches the user as one line (``file:line: column: message`` for bad data), never as a
traceback; the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipeline.build_system.errors import BuildError
from pipeline.inputs.problems import ValidationError


def _timed(stage: str):
    start = time.perf_counter()

    def done(message: str) -> None:
        print(f"{stage}: {message} ({time.perf_counter() - start:.1f} s)", flush=True)

    return done


def _cmd_validate(args: argparse.Namespace) -> int:
    from pipeline.inputs.load import review_data, write_review_json
    from pipeline.inputs.validate import check_data_dir

    done = _timed("validate")
    checked = check_data_dir(Path(args.data_dir))
    for p in checked.problems:
        print(p, file=sys.stderr)
    if checked.problems:
        print(
            f"validation failed: {len(checked.problems)} problem(s) in {args.data_dir}; nothing was built",
            file=sys.stderr,
        )
        return 1
    if args.out:
        data = review_data(checked)
        write_review_json(data, Path(args.out))
        done(f"{args.data_dir} is valid: {len(data.studies)} trials, {len(data.config.outcomes)} outcomes")
    else:
        done(f"{args.data_dir} is valid")
    return 0


def _cmd_analyse(args: argparse.Namespace) -> int:
    from pipeline.analysis.write import write_results

    write_results(Path(args.review), Path(args.out))
    return 0


def _cmd_figures(args: argparse.Namespace) -> int:
    from pipeline.figures.write import write_figures

    write_figures(Path(args.review), Path(args.results), Path(args.out))
    return 0


def _cmd_tables(args: argparse.Namespace) -> int:
    from pipeline.tables.write import write_tables

    write_tables(Path(args.review), Path(args.results), Path(args.out))
    return 0


def _cmd_package(args: argparse.Namespace) -> int:
    from pipeline.package.data_package import write_data_package

    write_data_package(Path(args.review), Path(args.results), Path(args.out))
    return 0


def _cmd_changes(args: argparse.Namespace) -> int:
    from pipeline.editions.changes_stage import write_changes

    write_changes(Path(args.review), Path(args.results), Path(args.tables), Path(args.editions), Path(args.out))
    return 0


def _cmd_pages(args: argparse.Namespace) -> int:
    from pipeline.pages.project import write_project

    write_project(Path(args.reports), Path(args.review), Path(args.out))
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from pipeline.inputs.load import read_review_json
    from pipeline.render.site import render_site

    render_site(
        Path(args.project), Path(args.build), Path(args.site), renderer=args.renderer, pages=args.pages, jobs=args.jobs
    )
    if args.stamp:
        Path(args.stamp).write_text(
            read_review_json(Path(args.build) / "review.json").data_hash + "\n", encoding="utf-8"
        )
    return 0


def _cmd_edition(args: argparse.Namespace) -> int:
    from pipeline.commands.edition import freeze_edition, rebuild_edition

    if args.action == "rebuild":
        if args.number is None:
            print(
                "edition rebuild: give the edition number, e.g. python -m pipeline edition rebuild 1", file=sys.stderr
            )
            return 2
        differences = rebuild_edition(Path(args.editions), int(args.number))
        if differences:
            print(
                f"edition {int(args.number):03d}: rebuilt numbers differ from the frozen ones ({len(differences)}):",
                file=sys.stderr,
            )
            for d in differences:
                print(f"  {d}", file=sys.stderr)
            return 1
        print(f"edition {int(args.number):03d}: rebuilt offline from its frozen data; the same numbers")
        return 0
    target = freeze_edition(
        Path(args.data_dir),
        Path(args.build),
        Path(args.site),
        Path(args.editions),
        args.note or "",
        allow_dirty=args.allow_dirty,
    )
    print(f"edition: froze {target}; commit it (git add {target})")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from pipeline.editions.diff import compute_diff
    from pipeline.editions.report import full
    from pipeline.editions.state import load_edition

    folder = Path(args.editions)
    a, b = (load_edition(folder / f"{int(x):03d}") for x in (args.a, args.b))
    print(full(compute_diff(a, b)).replace("\\", ""))
    return 0


def _cmd_meta(args: argparse.Namespace) -> int:
    from pipeline.commands.meta import run_meta

    return run_meta(args)


def _cmd_new(args: argparse.Namespace) -> int:
    from pipeline.commands.scaffold import scaffold_review

    target = scaffold_review(Path(args.dir), title=args.title)
    print(f"new: an empty review in {target}; edit review.yaml, then: make DATA={target}")
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from pipeline.commands.synth import write_synthetic_review

    target = write_synthetic_review(int(args.n), Path(args.dir), seed=args.seed)
    print(f"synth: {args.n} synthetic trials in {target}")
    return 0


def _cmd_surveil(args: argparse.Namespace) -> int:
    from pipeline.surveillance.run import run_surveillance

    return run_surveillance(Path(args.data_dir), Path(args.out), append=args.append, timeout=args.timeout)


def _cmd_extraction(args: argparse.Namespace) -> int:
    from pipeline.commands.extraction import compare_extractions

    return compare_extractions(Path(args.first), Path(args.second), Path(args.out) if args.out else None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a data folder; errors as FILE:LINE: COLUMN: message")
    p.add_argument("data_dir", nargs="?", default="data")
    p.add_argument("--out", help="write the checked, typed review here (build/<review>/review.json)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("analyse", help="meta-analyses of every outcome -> RESULTS/*.json, *.csv")
    p.add_argument("--review", default="build/data/review.json")
    p.add_argument("--out", default="build/data/results")
    p.set_defaults(func=_cmd_analyse)

    for name, helptext, func in (
        ("figures", "forest, cumulative, sequential, funnel, risk-of-bias and PRISMA figures (SVG)", _cmd_figures),
        ("tables", "Markdown fragments the pages show", _cmd_tables),
        ("package", "data download: raw tables, schemas, results and datapackage.json", _cmd_package),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--review", default="build/data/review.json")
        p.add_argument("--results", default="build/data/results")
        p.add_argument("--out", required=True)
        p.set_defaults(func=func)

    p = sub.add_parser("changes", help="editions, What's new, feed (from the edition log)")
    p.add_argument("--review", default="build/data/review.json")
    p.add_argument("--results", default="build/data/results")
    p.add_argument("--tables", default="build/data/tables")
    p.add_argument("--editions", default="editions")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_changes)

    p = sub.add_parser("pages", help="the review's Quarto project (pre-render: one page per outcome)")
    p.add_argument("--reports", default="reports")
    p.add_argument("--review", default="build/data/review.json")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_pages)

    p = sub.add_parser("render", help="render the project to the site (HTML pages + PDF brief)")
    p.add_argument("--project", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--site", default="_site")
    p.add_argument("--renderer", default="auto", choices=["auto", "quarto", "embedded"])
    p.add_argument("--pages", nargs="*", help="render only these .qmd files (embedded renderer)")
    p.add_argument("--jobs", type=int, default=None, help="pages executed at once (default: one per core)")
    p.add_argument("--stamp", help="file to write with the data hash when the site is complete (for make)")
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("edition", help="freeze the current build as an edition; or: edition rebuild N")
    p.add_argument("action", nargs="?", choices=["freeze", "rebuild"], default="freeze")
    p.add_argument("number", nargs="?")
    p.add_argument("--note", help="one line: what this edition adds")
    p.add_argument("--data-dir", default="data")
    p.add_argument("--build", default="build/data")
    p.add_argument("--site", default="_site")
    p.add_argument("--editions", default="editions")
    p.add_argument(
        "--allow-dirty", action="store_true", help="freeze even with uncommitted changes in the data (recorded)"
    )
    p.set_defaults(func=_cmd_edition)

    p = sub.add_parser("diff", help="what changed between two editions: diff A B")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--editions", default="editions")
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser("meta", help="meta-analysis of one CSV file, printed like metafor")
    p.add_argument("file")
    p.add_argument("--measure", required=True, help="RR, OR, RD, MD or SMD")
    p.add_argument("--method", required=True, help="FE, MH, PETO, DL, REML, PM, ML, SJ or HE")
    p.add_argument("--hksj", action="store_true", help="Hartung-Knapp-Sidik-Jonkman adjustment")
    p.add_argument("--convention", default="metafor", choices=["metafor", "revman"])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_meta)

    p = sub.add_parser("new", help="scaffold an empty review (commented review.yaml, tables with headers)")
    p.add_argument("dir")
    p.add_argument("--title", default="A new living review")
    p.set_defaults(func=_cmd_new)

    p = sub.add_parser("synth", help="write a synthetic review of N trials (benchmarks, scale tests)")
    p.add_argument("n")
    p.add_argument("dir")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser("surveil", help="search ClinicalTrials.gov and PubMed for records newer than the last search")
    p.add_argument("data_dir", nargs="?", default="data")
    p.add_argument("--out", default="build/data/surveillance.md")
    p.add_argument("--append", action="store_true", help="add the new records to screening.csv as awaiting screening")
    p.add_argument("--timeout", type=float, default=20.0)
    p.set_defaults(func=_cmd_surveil)

    p = sub.add_parser("extraction", help="compare two independent extractions (double data extraction)")
    p.add_argument("first")
    p.add_argument("second")
    p.add_argument("--out", help="write the comparison as CSV")
    p.set_defaults(func=_cmd_extraction)

    from pipeline.importers import register as add_import_commands

    add_import_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as err:
        for p in err.problems:
            print(p, file=sys.stderr)
        print(f"validation failed: {len(err.problems)} problem(s); nothing was built", file=sys.stderr)
        return 1
    except BuildError as err:
        print(f"{args.command}: {str(err).splitlines()[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{args.command}: interrupted; the last good site is unchanged, run make again", file=sys.stderr)
        return 130
    except OSError as err:
        print(f"{args.command}: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
