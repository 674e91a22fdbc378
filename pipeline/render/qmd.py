"""Parse a Quarto ``.qmd`` file into front matter and cells, and build a notebook from it.

Supported: YAML front matter between ``---`` lines; Markdown; executable cells fenced as
```` ```{python} ```` with ``#| key: value`` option lines at their top (YAML values), as
Quarto documents them (https://quarto.org/docs/reference/cells/cells-jupyter.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

FENCE_OPEN = re.compile(r"^(`{3,})\{python(?:[ ,][^}]*)?\}\s*$")
OPTION_LINE = re.compile(r"^#\|\s?(.*)$")


class QmdSyntaxError(ValueError):
    pass


@dataclass
class Cell:
    kind: str  # "markdown" or "code"
    source: str
    options: dict = field(default_factory=dict)


@dataclass
class QmdDocument:
    path: Path
    front_matter: dict
    cells: list[Cell]


def parse_qmd(path: Path) -> QmdDocument:
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines()
    front: dict = {}
    start = 0
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                try:
                    front = yaml.safe_load("\n".join(lines[1:i])) or {}
                except yaml.YAMLError as err:
                    raise QmdSyntaxError(f"{path}: front matter is not valid YAML: {err}") from err
                start = i + 1
                break
        else:
            raise QmdSyntaxError(f"{path}:1: front matter opened with --- but never closed")
    cells: list[Cell] = []
    buffer: list[str] = []
    i = start
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            buffer.append(lines[i])
            i += 1
            continue
        if "".join(buffer).strip():
            cells.append(Cell("markdown", "\n".join(buffer).strip("\n")))
        buffer = []
        fence = m.group(1)
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        if i >= len(lines):
            raise QmdSyntaxError(f"{path}: code cell opened with {fence}{{python}} is never closed")
        i += 1
        option_lines = []
        while body and OPTION_LINE.match(body[0]):
            option_lines.append(OPTION_LINE.match(body.pop(0)).group(1))
        try:
            options = yaml.safe_load("\n".join(option_lines)) or {} if option_lines else {}
        except yaml.YAMLError as err:
            raise QmdSyntaxError(f"{path}: bad #| cell options: {err}") from err
        cells.append(Cell("code", "\n".join(body), options))
    if "".join(buffer).strip():
        cells.append(Cell("markdown", "\n".join(buffer).strip("\n")))
    return QmdDocument(Path(path), front, cells)


def to_notebook(doc: QmdDocument) -> nbformat.NotebookNode:
    """A notebook with the cell options kept in each code cell's metadata (``quarto`` key)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["quarto"] = {"front_matter": doc.front_matter}
    for cell in doc.cells:
        if cell.kind == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(cell.source))
        else:
            code = nbformat.v4.new_code_cell(cell.source)
            code.metadata["quarto"] = cell.options
            nb.cells.append(code)
    return nb
