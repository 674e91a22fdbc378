"""Shared test helpers: where the repository is, and tools that must exist in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(available: bool, what: str) -> None:
    """Skip locally when a tool is missing; in CI (CI=true) a missing tool is a failure, not a skip."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{what} is required in CI (.ci/run installs it) but is not available")
    pytest.skip(f"{what} not available")


def has_metafor() -> bool:
    if not shutil.which("Rscript"):
        return False
    proc = subprocess.run(["Rscript", "-e", "suppressMessages(library(metafor))"], capture_output=True)
    return proc.returncode == 0


@pytest.fixture(scope="session")
def metafor_available() -> bool:
    available = has_metafor()
    require_tool(available, "Rscript with the metafor package (Debian r-cran-metafor)")
    return available


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the real data folder."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def run_make(tmp: Path, *args: str, data: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """``make`` on the repository with the build and site in ``tmp`` (the real data unless ``data``)."""
    cmd = ["make", "-C", str(ROOT), f"BUILD={tmp / 'build'}", f"SITE={tmp / '_site'}", "RENDERER=embedded", *args]
    if data is not None:
        cmd.append(f"DATA={data}")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"make failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The real data built once per session with ``make -j2`` into a temporary folder."""
    tmp = tmp_path_factory.mktemp("make")
    run_make(tmp, "-j2")
    return tmp
