"""Shared test helpers: where the repository is, builds of the real reviews, tools that must exist in CI."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else "python3"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(available: bool, what: str) -> None:
    """Skip locally when a tool is missing; in CI (CI=true) a missing tool is a failure, not a skip."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{what} is required in CI (.ci/run installs it) but is not available")
    pytest.skip(f"{what} not available")


def has_r_package(name: str) -> bool:
    if not shutil.which("Rscript"):
        return False
    proc = subprocess.run(["Rscript", "-e", f"suppressMessages(library({name}))"], capture_output=True)
    return proc.returncode == 0


def has_metafor() -> bool:
    return has_r_package("metafor")


@pytest.fixture(scope="session")
def metafor_available() -> bool:
    available = has_metafor()
    require_tool(available, "Rscript with the metafor package (Debian r-cran-metafor)")
    return available


@pytest.fixture(scope="session")
def rpact_available() -> bool:
    available = has_r_package("rpact")
    require_tool(available, "Rscript with the rpact package (Debian r-cran-rpact)")
    return available


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the real data folder."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def run_make(
    tmp: Path,
    *args: str,
    data: Path | None = None,
    check: bool = True,
    editions: Path | None = None,
    timeout: int = 900,
) -> subprocess.CompletedProcess:
    """``make`` on the repository with the build and site in ``tmp`` (the real data unless ``data``)."""
    cmd = ["make", "-C", str(ROOT), f"BUILD={tmp / 'build'}", f"SITE={tmp / '_site'}", "RENDERER=embedded", *args]
    if data is not None:
        cmd.append(f"DATA={data}")
    if editions is not None:
        cmd.append(f"EDITIONS={editions}")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"make failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def render_status(output: str) -> dict[str, str]:
    """Page -> "executed" or "cached", from the render's lines (``render: page.qmd  executed 0.2 s``)."""
    return {
        line.split()[1]: line.split()[2]
        for line in output.splitlines()
        if line.startswith("render:") and len(line.split()) > 2 and line.split()[2] in ("executed", "cached")
    }


def pipeline(*args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [PYTHON, "-m", "pipeline", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=600
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"pipeline {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The real data built once per session with ``make -j2`` into a temporary folder."""
    tmp = tmp_path_factory.mktemp("make")
    run_make(tmp, "-j2")
    return tmp


@pytest.fixture(scope="session")
def built_bcg(tmp_path_factory) -> Path:
    """The BCG example review built once per session."""
    tmp = tmp_path_factory.mktemp("bcg")
    run_make(tmp, "-j2", data=ROOT / "examples" / "bcg", editions=tmp / "editions")
    return tmp


BUILDS = ("run_make(", "render_site(", '"make"', "build_review(")  # calls that run a build or render documents


def _runs_a_build(func: object, seen: set[int]) -> bool:
    if id(func) in seen:
        return False
    seen.add(id(func))
    try:
        source = inspect.getsource(func)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    return any(call in source for call in BUILDS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Two rules, so the markers cannot rot:

    - every test that runs a build (itself or through any fixture it uses) is marked ``slow``, so
      ``pytest -m "not slow"`` is the quick loop while ``make test`` runs everything;
    - a ``needs_quarto`` test is deselected (not skipped) where the Quarto CLI is not on PATH: it cannot
      be installed on the CI machine; the publish workflow, which installs Quarto, runs it
      (``REQUIRE_QUARTO=true`` there turns a missing Quarto into a failure).
    """
    quarto = shutil.which("quarto") is not None
    require_quarto = os.environ.get("REQUIRE_QUARTO", "").lower() in ("1", "true", "yes")
    kept, dropped = [], []
    for item in items:
        if item.get_closest_marker("needs_quarto") and not quarto and not require_quarto:
            dropped.append(item)
            continue
        kept.append(item)
        fixtures = getattr(item, "_fixtureinfo", None)
        funcs = [getattr(item, "function", None)]
        if fixtures is not None:
            funcs += [d.func for defs in fixtures.name2fixturedefs.values() for d in defs]
        seen: set[int] = set()
        if any(f is not None and _runs_a_build(f, seen) for f in funcs):
            item.add_marker(pytest.mark.slow)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
