"""Execute pages on warm Jupyter kernels and turn their outputs into pandoc Markdown.

One :class:`KernelWorker` per core keeps a python3 (ipykernel) kernel running and executes page
after page on it (the namespace is reset between pages, imported modules stay loaded), so a page
costs its own cells, not a kernel start. Kernels talk over the IPC transport (no TCP ports, no
"running over TCP without encryption" warning). A hidden last cell reports the build files the page
read, which keys the page cache (:mod:`pipeline.render.cache`).
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager

from pipeline.build_system.errors import BuildError
from pipeline.render.qmd import QmdDocument

KERNEL_TIMEOUT_S = 300
ANSI = re.compile(r"\x1b\[[0-9;]*m")
READS_MARKER = "@@PIPELINE_READS@@"


class RenderError(BuildError):
    """A page could not be rendered; the first line of the message is meant for the user."""


@dataclass
class PageMarkdown:
    """A page ready for pandoc: Markdown text plus files it references (relative name -> bytes)."""

    markdown: str
    front_matter: dict
    assets: dict[str, bytes] = field(default_factory=dict)
    reads: dict[str, str] = field(default_factory=dict)  # build-relative path -> sha256 or "absent"


# Run once in every kernel, hidden: vector figures (as Quarto's fig-format: svg), a record of every
# file opened under the build folder, and no warnings on stderr.
# matplotlib figures drawn by a page come out as SVG (set on the kernel's command line, so a page that
# draws nothing does not pay for importing matplotlib)
SETUP_CELL = """\
import warnings as _w
_w.filterwarnings("ignore")
"""
KERNEL_ARGUMENTS = [
    "--IPKernelApp.log_level=ERROR",
    "--InlineBackend.figure_formats=svg",
    "--HistoryManager.enabled=False",  # a build writes nothing to the home folder (no IPython history)
]
BEGIN_PAGE = "from pipeline.pages import page as _page; _page.begin()"
END_PAGE = f"from pipeline.pages import page as _page; print('{READS_MARKER}' + _page.end())"
RESET = "%reset -f"


class KernelWorker:
    """A python3 kernel kept warm for executing page after page."""

    def __init__(self, cwd: Path, env: dict[str, str]):
        self.cwd = cwd
        self.runtime = tempfile.mkdtemp(prefix="kernels-")
        self.km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(self.runtime, "k"))
        kernel_env = {
            **os.environ,
            **env,
            "PYTHONWARNINGS": "ignore",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        }
        self.km.start_kernel(cwd=str(cwd), env=kernel_env, extra_arguments=KERNEL_ARGUMENTS)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self._run(SETUP_CELL, "kernel setup")

    def _run(self, code: str, where: str) -> list:
        """Execute code; return its outputs as nbformat output nodes; raise RenderError on an error."""
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False)
        outputs: list = []
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=KERNEL_TIMEOUT_S)
            except queue.Empty as err:
                raise RenderError(f"{where}: no answer from the kernel within {KERNEL_TIMEOUT_S} s") from err
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
            if kind in ("stream", "display_data", "execute_result", "error"):
                out = nbformat.v4.output_from_msg(msg)
                if kind == "error":
                    trace = ANSI.sub("", "\n".join(out.get("traceback", [])))
                    raise RenderError(f"{where}: {out.ename}: {out.evalue}\n{trace}")
                outputs.append(out)
            elif kind == "clear_output":
                outputs.clear()
        return outputs

    def execute_page(self, doc: QmdDocument) -> tuple[nbformat.NotebookNode, dict[str, str]]:
        """Run a page's cells; return the notebook with outputs and the files the page read."""
        from pipeline.render.qmd import to_notebook

        nb = to_notebook(doc)
        self._run(RESET, f"{doc.path.name}: reset")
        self._run(BEGIN_PAGE, f"{doc.path.name}: setup")
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell.outputs = self._run(cell.source, f"{doc.path.name}, code cell {index + 1}")
        reads: dict[str, str] = {}
        for out in self._run(END_PAGE, f"{doc.path.name}: reads"):
            text = out.get("text", "")
            if READS_MARKER in text:
                reads = json.loads(text.split(READS_MARKER, 1)[1])
        return nb, reads

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        finally:
            import shutil

            shutil.rmtree(self.runtime, ignore_errors=True)


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
    return PageMarkdown(
        "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n",
        nb.metadata.get("quarto", {}).get("front_matter", {}),
        assets,
    )
