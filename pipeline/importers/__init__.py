"""Importers: bring a review in from the tools a team already uses.

- ``import revman FILE.rm5 DIR``: a RevMan 5 review as a data folder (revman, revman_tables, revman_folder).
- ``import screening FILE OUT.csv [--merge]``: Rayyan, Covidence or RIS screening decisions (screening).
- :func:`pipeline.importers.ris.review_ris`: included and excluded records as one RIS file.

The command line gains ``import`` through :func:`register` (``register(sub)`` in ``pipeline/cli.py``).
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` subcommand (``revman`` and ``screening`` actions) to ``python -m pipeline``."""
    from pipeline.importers.commands import register as add_import

    add_import(subparsers)
