"""The layering of the generator: every import runs down (or within its own package), never up or sideways.

stats -> results/review -> inputs -> analysis -> grade -> present -> figures/tables/package/editions
-> pages -> render -> commands -> cli. Packages on one floor never import each other (figures and tables
both use the presentation layer, never each other). The test reads the imports of every module (at any
depth, including imports inside functions), so a lazy import cannot hide an arrow that runs back up.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

LAYERS: dict[str, int] = {
    "stats": 0,
    "build_system": 0,
    "review": 1,
    "results": 1,
    "inputs": 2,
    "analysis": 3,
    "grade": 4,
    "present": 5,
    "figures": 6,
    "tables": 6,
    "package": 6,
    "editions": 6,
    "pages": 7,
    "render": 8,
    "reanalysis": 8,
    "surveillance": 9,
    "importers": 9,
    "commands": 9,
    "cli": 10,
    "__main__": 11,
    "__init__": 0,
}
TOP_LEVEL_MODULES_ALLOWED = 4  # besides cli.py


def package_of(path: Path) -> str:
    rel = path.relative_to(ROOT / "pipeline")
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + (
                [f"{node.module}.{a.name}" for a in node.names] if node.module == "pipeline" else []
            )
        for name in names:
            parts = name.split(".")
            if parts[0] == "pipeline" and len(parts) > 1:
                found.add(parts[1])
    return found


def python_modules() -> list[Path]:
    return sorted(p for p in (ROOT / "pipeline").rglob("*.py") if "__pycache__" not in p.parts)


def test_every_package_has_a_layer():
    packages = {package_of(p) for p in python_modules()}
    assert packages <= set(LAYERS), f"give these a layer in LAYERS: {sorted(packages - set(LAYERS))}"


def test_no_import_runs_up_or_sideways():
    wrong = []
    for path in python_modules():
        own = package_of(path)
        for target in imported_packages(path) - {own}:
            if target not in LAYERS:
                continue
            if LAYERS[target] >= LAYERS[own]:
                wrong.append(
                    f"{path.relative_to(ROOT)} imports pipeline.{target} (layer {LAYERS[target]} >= {LAYERS[own]})"
                )
    assert not wrong, "imports that run back up or sideways:\n" + "\n".join(wrong)


def test_figures_and_tables_never_import_each_other():
    for path in python_modules():
        own = package_of(path)
        if own in ("figures", "tables"):
            other = {"figures": "tables", "tables": "figures"}[own]
            assert other not in imported_packages(path), f"{path.relative_to(ROOT)} imports pipeline.{other}"


def test_the_top_of_pipeline_holds_few_modules():
    top = sorted(p.name for p in (ROOT / "pipeline").glob("*.py") if p.name != "cli.py")
    assert len(top) <= TOP_LEVEL_MODULES_ALLOWED, top


def test_the_layering_test_sees_an_upward_import(tmp_path):
    """The checker itself notices an arrow that runs up (stats importing the presentation layer)."""
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from pipeline.present import numbers\n    return numbers\n", encoding="utf-8")
    assert imported_packages(module) == {"present"}
