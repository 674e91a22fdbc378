"""The code base stays ruff clean (lint and format), as the style guide asks."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_ruff_check_and_format():
    paths = ["pipeline", "tests", "benchmarks"]
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", *paths], capture_output=True, text=True, cwd=ROOT)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *paths], capture_output=True, text=True, cwd=ROOT
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
