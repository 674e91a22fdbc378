"""Checks run offline: the GitHub workflows are valid and clean under zizmor, the published data package
passes frictionless, the lock files pin what make installs, and CI and publishing share one package list."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = ROOT / ".venv" / "bin"


def _tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is a test dependency (requirements/test.lock); run make test")
    return str(path)


def test_workflows_are_valid_against_githubs_schema():
    proc = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflows_are_clean_under_zizmor():
    proc = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", *map(str, WORKFLOWS)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout + proc.stderr


def test_actions_are_pinned_and_checkout_keeps_no_credentials():
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        for uses in re.findall(r"uses:\s*(\S+)", text):
            assert re.search(r"@[0-9a-f]{40}$", uses), f"{path.name}: {uses} is not pinned to a commit"
        if "actions/checkout" in text:
            assert "persist-credentials: false" in text, path.name


def test_publish_workflow_tests_the_way_ci_does():
    text = (ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    assert "bash .ci/run" in text and "apt-get" not in text, "one list of system packages, in .ci/run"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for package in ("r-cran-metafor", "r-cran-rpact", "chromium", "poppler-utils"):
        assert package in ci
    assert ci.rstrip().endswith("make test")


def test_make_installs_exact_versions_from_the_lock_files():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet -r requirements/build.lock" in makefile
    assert "pip install --quiet -r requirements/test.lock" in makefile
    for lock in ("build.lock", "test.lock"):
        lines = [x for x in (ROOT / "requirements" / lock).read_text().splitlines() if x and not x.startswith("#")]
        assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^\s]+", x) for x in lines), lock
    test_lock = (ROOT / "requirements" / "test.lock").read_text()
    ruff = re.search(r"^ruff==(\S+)$", test_lock, flags=re.M)
    assert ruff and f'"ruff=={ruff.group(1)}"' in (ROOT / "pyproject.toml").read_text(), (
        "ruff is pinned, since a test asserts its output"
    )
    build_lock = (ROOT / "requirements" / "build.lock").read_text()
    assert "pytest==" not in build_lock and "playwright==" not in build_lock, "make installs only what building needs"


def test_published_data_package_passes_frictionless(built):
    package = built / "_site" / "data" / "datapackage.json"
    proc = subprocess.run(
        [_tool("frictionless"), "validate", str(package)], capture_output=True, text=True, cwd=package.parent
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_python_used_by_quarto_is_the_venvs():
    source = (ROOT / "pipeline" / "render" / "site.py").read_text(encoding="utf-8")
    assert '"QUARTO_PYTHON": sys.executable' in source
    assert sys.executable
