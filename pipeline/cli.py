"""The command line. Each stage reads files and writes files under the build folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.inputs.validate import ValidationError, validate_data_dir


def _cmd_validate(args: argparse.Namespace) -> int:
    problems = validate_data_dir(Path(args.data_dir))
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"validation failed: {len(problems)} problem(s) in {args.data_dir}; nothing was built", file=sys.stderr)
        return 1
    print(f"{args.data_dir}: valid")
    if args.stamp:
        Path(args.stamp).parent.mkdir(parents=True, exist_ok=True)
        Path(args.stamp).write_text("valid\n", encoding="utf-8")
    return 0


def _cmd_analyse(args: argparse.Namespace) -> int:
    from pipeline.analyse import write_results

    written = write_results(Path(args.data_dir), Path(args.out))
    print(f"analysis: wrote {len(written)} files to {args.out}")
    return 0


def _cmd_figures(args: argparse.Namespace) -> int:
    from pipeline.figures.write import write_figures

    written = write_figures(Path(args.results), Path(args.out), Path(args.data_dir))
    print(f"figures: wrote {len(written)} files to {args.out}")
    return 0


def _cmd_tables(args: argparse.Namespace) -> int:
    from pipeline.tables.write import write_tables

    written = write_tables(Path(args.data_dir), Path(args.results), Path(args.out))
    print(f"tables: wrote {len(written)} files to {args.out}")
    return 0


def _cmd_package(args: argparse.Namespace) -> int:
    from pipeline.data_package import write_data_package

    written = write_data_package(Path(args.data_dir), Path(args.results), Path(args.out))
    print(f"package: wrote {len(written)} files to {args.out}")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from pipeline.render.site import render_site

    render_site(Path(args.reports), Path(args.build), Path(args.site), renderer=args.renderer, pages=args.pages)
    print(f"render: site in {args.site}")
    return 0


def _cmd_meta(args: argparse.Namespace) -> int:
    from pipeline.meta_command import run_meta

    return run_meta(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a data folder; errors as FILE:LINE: COLUMN: message")
    p.add_argument("data_dir", nargs="?", default="data")
    p.add_argument("--stamp", help="file to write when the data are valid (for make)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("analyse", help="meta-analyses of every outcome -> RESULTS/*.json, *.csv")
    p.add_argument("data_dir", nargs="?", default="data")
    p.add_argument("--out", default="build/results")
    p.set_defaults(func=_cmd_analyse)

    p = sub.add_parser("figures", help="forest, funnel, risk-of-bias and PRISMA figures (SVG + PDF)")
    p.add_argument("data_dir", nargs="?", default="data")
    p.add_argument("--results", default="build/results")
    p.add_argument("--out", default="build/figures")
    p.set_defaults(func=_cmd_figures)

    p = sub.add_parser("tables", help="Markdown tables (tabulate) from data and results")
    p.add_argument("data_dir", nargs="?", default="data")
    p.add_argument("--results", default="build/results")
    p.add_argument("--out", default="build/tables")
    p.set_defaults(func=_cmd_tables)

    p = sub.add_parser("package", help="data download: raw tables, schemas, results and datapackage.json")
    p.add_argument("data_dir", nargs="?", default="data")
    p.add_argument("--results", default="build/results")
    p.add_argument("--out", default="build/site-data")
    p.set_defaults(func=_cmd_package)

    p = sub.add_parser("render", help="render reports/ to the site (HTML pages + PDF brief)")
    p.add_argument("--reports", default="reports")
    p.add_argument("--build", default="build")
    p.add_argument("--site", default="_site")
    p.add_argument("--renderer", default="auto", choices=["auto", "quarto", "embedded"])
    p.add_argument("--pages", nargs="*", help="render only these .qmd files (embedded renderer)")
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("meta", help="meta-analysis of one CSV file, printed like metafor")
    p.add_argument("file")
    p.add_argument("--measure", required=True, help="RR, OR, RD, MD or SMD")
    p.add_argument("--method", required=True, help="FE, MH, PETO, DL, REML, PM, ML, SJ or HE")
    p.add_argument("--hksj", action="store_true", help="Hartung-Knapp-Sidik-Jonkman adjustment")
    p.add_argument("--convention", default="metafor", choices=["metafor", "revman"])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_meta)
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
