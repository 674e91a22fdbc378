"""Execute a notebook with nbclient on a python3 (ipykernel) kernel and turn its outputs into pandoc Markdown."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from pipeline.render.qmd import QmdDocument, to_notebook

KERNEL_TIMEOUT_S = 300
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class RenderError(RuntimeError):
    pass


@dataclass
class PageMarkdown:
    """A page ready for pandoc: Markdown text plus files it references (relative name -> bytes)."""

    markdown: str
    front_matter: dict
    assets: dict[str, bytes] = field(default_factory=dict)


def execute_notebook(
    nb: nbformat.NotebookNode, cwd: Path, env: dict[str, str] | None = None, source: str = "notebook"
) -> nbformat.NotebookNode:
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})  # the kernel inherits the environment of this process
    try:
        client = NotebookClient(
            nb,
            timeout=KERNEL_TIMEOUT_S,
            kernel_name="python3",
            resources={"metadata": {"path": str(cwd)}},
            shutdown_kernel="immediate",
            allow_errors=False,
        )
        client.execute()
    except CellExecutionError as err:
        raise RenderError(f"{source}: a code cell failed:\n{ANSI.sub('', str(err))}") from err
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def _option(cell_opts: dict, defaults: dict, key: str, fallback):
    return cell_opts.get(key, defaults.get(key, fallback))


def _fenced(text: str) -> str:
    return "```\n" + text.rstrip("\n") + "\n```"


def _attr(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def notebook_to_markdown(nb: nbformat.NotebookNode, page_stem: str, execute_defaults: dict) -> PageMarkdown:
    """Outputs -> Markdown: text/markdown as is, images as files next to the page, text as code blocks."""
    parts: list[str] = []
    assets: dict[str, bytes] = {}
    figure_count = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        opts = cell.metadata.get("quarto", {})
        if not _option(opts, execute_defaults, "include", True):
            continue
        if _option(opts, execute_defaults, "echo", False):
            parts.append("```python\n" + cell.source + "\n```")
        output_mode = _option(opts, execute_defaults, "output", True)
        if output_mode is False:
            continue
        label = opts.get("label", "")
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                if out.name == "stderr" and not _option(opts, execute_defaults, "warning", True):
                    continue
                parts.append(out.text if output_mode == "asis" else _fenced(out.text))
            elif out.output_type in ("display_data", "execute_result"):
                data = out.get("data", {})
                if "text/markdown" in data:
                    parts.append(data["text/markdown"])
                elif "image/svg+xml" in data or "image/png" in data:
                    figure_count += 1
                    ext = "svg" if "image/svg+xml" in data else "png"
                    name = f"{page_stem}_files/{label or 'figure'}-{figure_count}.{ext}"
                    payload = (
                        data["image/svg+xml"].encode("utf-8") if ext == "svg" else base64.b64decode(data["image/png"])
                    )
                    assets[name] = payload
                    caption = opts.get("fig-cap", "")
                    attrs = []
                    if label.startswith("fig-"):
                        attrs.append(f"#{label}")
                    if opts.get("fig-alt"):
                        attrs.append(f'fig-alt="{_attr(str(opts["fig-alt"]))}"')
                    parts.append(f"![{caption}]({name})" + ("{" + " ".join(attrs) + "}" if attrs else ""))
                elif "text/html" in data:
                    parts.append("```{=html}\n" + data["text/html"] + "\n```")
                elif "text/plain" in data:
                    parts.append(_fenced(data["text/plain"]))
            elif out.output_type == "error":
                raise RenderError(f"{page_stem}: cell raised {out.ename}: {out.evalue}")
    return PageMarkdown(
        "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n",
        nb.metadata.get("quarto", {}).get("front_matter", {}),
        assets,
    )


# Run first in every kernel, hidden: vector figures (as Quarto's fig-format: svg would give).
SETUP_CELL = """\
try:
    import matplotlib_inline.backend_inline as _bi
    _bi.set_matplotlib_formats("svg")
    del _bi
except ImportError:
    pass
"""


def render_markdown(doc: QmdDocument, cwd: Path, env: dict[str, str], execute_defaults: dict) -> PageMarkdown:
    nb = to_notebook(doc)
    setup = nbformat.v4.new_code_cell(SETUP_CELL)
    setup.metadata["quarto"] = {"include": False}
    nb.cells.insert(0, setup)
    nb = execute_notebook(nb, cwd, env, source=str(doc.path))
    return notebook_to_markdown(nb, doc.path.stem, execute_defaults)
