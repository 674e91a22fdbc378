"""The ``import`` subcommand: ``import revman FILE.rm5 DIR`` and ``import screening FILE OUT.csv [--merge]``.

``register(subparsers)`` adds it to the command line of ``pipeline/cli.py``; failures reach the user
as one line (``FILE:LINE: element/attribute: message`` for a malformed file) with exit status 1,
through the ``ValidationError``/``BuildError`` handling there. ``main`` runs the same commands on their
own (``python -m pipeline.importers import ...``) with the same handling.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.build_system.errors import BuildError
from pipeline.inputs.problems import ValidationError


def _cmd_revman(args: argparse.Namespace) -> int:
    from pipeline.importers.revman_folder import REPORT_NAME, import_revman

    report = import_revman(Path(args.file), Path(args.dir))
    print(report.console())
    print(
        f"import revman: wrote {args.dir} ({REPORT_NAME} lists what to check); then: python -m pipeline validate {args.dir}"
    )
    return 0


def _cmd_screening(args: argparse.Namespace) -> int:
    from pipeline.importers.screening import import_screening

    report = import_screening(
        Path(args.file),
        Path(args.out),
        merge=args.merge,
        fmt=args.format,
        stage=args.stage,
        covidence=args.covidence_list,
        identified_via=args.identified_via,
    )
    print(report.console())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``import revman`` and ``import screening`` to the ``python -m pipeline`` parser."""
    from pipeline.importers.screening import COVIDENCE_LISTS, FORMATS

    p = subparsers.add_parser("import", help="bring a review in from RevMan 5 or a screening tool")
    actions = p.add_subparsers(dest="action", required=True)
    r = actions.add_parser("revman", help="a RevMan 5 file (.rm5) -> a new data folder")
    r.add_argument("file")
    r.add_argument("dir", help="new (or empty) folder to write")
    r.set_defaults(func=_cmd_revman)
    s = actions.add_parser("screening", help="Rayyan CSV, Covidence CSV or RIS -> screening.csv")
    s.add_argument("file")
    s.add_argument("out", help="screening.csv to write (new), or to extend with --merge")
    s.add_argument("--merge", action="store_true", help="add the records to an existing screening.csv")
    s.add_argument("--format", choices=FORMATS, help="default: recognised from the file's content")
    s.add_argument(
        "--stage", default="title/abstract", choices=["title/abstract", "full text"], help="Rayyan/RIS stage"
    )
    s.add_argument("--covidence-list", choices=sorted(COVIDENCE_LISTS), help="default: from the file name")
    s.add_argument("--identified-via", default="database search", help="identified_via of the new records")
    s.set_defaults(func=_cmd_screening)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.importers")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"import failed: {len(err.problems)} problem(s); nothing was written", file=sys.stderr)
        return 1
    except BuildError as err:
        print(f"import: {str(err).splitlines()[0]}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"import: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
