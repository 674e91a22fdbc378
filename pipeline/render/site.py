"""Render the Quarto project in ``reports/`` to a site folder, through Quarto or the embedded back end.

Both back ends read the same ``.qmd`` files and ``_quarto.yml``. The site is built in a
temporary folder beside the target and swapped in only when every page succeeded, so a
failed build leaves the last good site in place.

Embedded back end: qmd -> notebook (nbformat) -> executed (nbclient, ipykernel) ->
pandoc Markdown (+ figure files next to the page) -> pandoc (from pypandoc-binary)
-> HTML with one site template, or Typst -> PDF with the ``typst`` package.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pypandoc
import typst
import yaml

from pipeline.render import cache as render_cache
from pipeline.render.execute import RenderError, render_markdown
from pipeline.render.qmd import parse_qmd

TEMPLATES = Path(__file__).parent / "templates"
TYPST_FONT = "Libertinus Serif"  # shipped inside typst; with ignore_system_fonts the PDF is the same on every machine


def choose_renderer(requested: str) -> str:
    if requested == "auto":
        return "quarto" if shutil.which("quarto") else "embedded"
    if requested == "quarto" and not shutil.which("quarto"):
        raise RenderError(
            "RENDERER=quarto but the quarto command is not on PATH; use RENDERER=embedded or install Quarto"
        )
    if requested not in ("quarto", "embedded"):
        raise RenderError(f"unknown renderer {requested!r}: use auto, quarto or embedded")
    return requested


def load_project(reports: Path) -> dict:
    return yaml.safe_load((reports / "_quarto.yml").read_text(encoding="utf-8")) or {}


def page_format(front_matter: dict) -> str:
    fmt = front_matter.get("format", "html")
    if isinstance(fmt, dict):
        fmt = next(iter(fmt))
    return "typst" if str(fmt).startswith("typst") else "html"


def output_name(qmd: str, fmt: str) -> str:
    return Path(qmd).with_suffix(".pdf" if fmt == "typst" else ".html").name


def stage_figures(build: Path, target: Path) -> None:
    """Copy the figures stage's files to ``target/figures`` (pages reference ``figures/...``)."""
    src = build / "figures"
    if src.exists():
        shutil.copytree(src, target / "figures", dirs_exist_ok=True)


def footer_text(build: Path, project: dict) -> str:
    index_path = build / "results" / "index.json"
    parts = [html.escape(str(project.get("website", {}).get("page-footer", "")))]
    if index_path.exists():
        index = json.loads(index_path.read_text(encoding="utf-8"))
        parts.append(f"Data version {html.escape(index.get('data_hash', '')[:12])}")
    parts.append(f"Built {date.today().isoformat()}")
    return " · ".join(p for p in parts if p)


def _nav(project: dict, formats: dict[str, str], current: str) -> list[dict]:
    """Navbar entries from ``website.navbar.left``; a Quarto ``menu`` becomes an entry with sub-entries."""

    def entry(item) -> dict:
        href = item["href"] if isinstance(item, dict) else str(item)
        text = item.get("text", Path(href).stem) if isinstance(item, dict) else Path(href).stem
        target = output_name(href, formats.get(href, "html")) if href.endswith(".qmd") else href
        return {"href": html.escape(target), "text": html.escape(text), "current": target == current}

    nav = []
    for item in project.get("website", {}).get("navbar", {}).get("left", []):
        if isinstance(item, dict) and "menu" in item:
            menu = [entry(sub) for sub in item["menu"]]
            nav.append(
                {"text": html.escape(item.get("text", "")), "menu": menu, "current": any(m["current"] for m in menu)}
            )
        else:
            nav.append(entry(item))
    return nav


def _after_body(reports: Path, project: dict) -> list[str]:
    """Quarto's ``format.html.include-after-body`` files, passed to pandoc the same way."""
    html_format = (project.get("format") or {}).get("html") or {}
    files = html_format.get("include-after-body") or []
    return [str(reports / f) for f in ([files] if isinstance(files, str) else files)]


def _pandoc_html(
    markdown: str, front: dict, project: dict, nav: list[dict], footer: str, after_body: list[str] | None = None
) -> str:
    site_title = project.get("website", {}).get("title", "")
    args = [
        "--standalone",
        f"--template={TEMPLATES / 'page.html'}",
        f"--lua-filter={TEMPLATES / 'crossref.lua'}",
        "--mathml",
        "--metadata",
        f"pagetitle={front.get('title', '')}",
        "--variable",
        f"site-title={site_title}",
        "--variable",
        f"footer={footer}",
        "--variable",
        "lang=en",
    ]
    if front.get("toc"):
        args.append("--toc")
    args += [f"--include-after-body={path}" for path in after_body or []]
    meta = {"title": front.get("title", ""), "subtitle": front.get("subtitle", ""), "nav": nav}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as fh:
        yaml.safe_dump(meta, fh)
        meta_file = fh.name
    try:
        return pypandoc.convert_text(
            markdown, "html5", format="markdown", extra_args=[*args, f"--metadata-file={meta_file}"]
        )
    finally:
        os.unlink(meta_file)


def _typst_pdf(markdown: str, front: dict, workdir: Path, stem: str) -> bytes:
    typst_opts = front.get("format", {}).get("typst", {}) if isinstance(front.get("format"), dict) else {}
    args = [
        "--standalone",
        f"--lua-filter={TEMPLATES / 'crossref.lua'}",
        "--variable",
        f"papersize={typst_opts.get('papersize', 'a4')}",
        "--variable",
        f"mainfont={TYPST_FONT}",
        "--variable",
        f"fontsize={typst_opts.get('fontsize', '10pt')}",
        "--metadata",
        f"title={front.get('title', '')}",
    ]
    margin = typst_opts.get("margin", {"x": "1.6cm", "y": "1.4cm"})
    for key, value in margin.items():
        args += ["--variable", f"margin.{key}={value}"]
    source = pypandoc.convert_text(markdown, "typst", format="markdown", extra_args=args)
    typ = workdir / f"{stem}.typ"
    typ.write_text(source, encoding="utf-8")
    try:
        return typst.compile(str(typ), root=str(workdir), ignore_system_fonts=True)
    except RuntimeError as err:
        raise RenderError(f"{stem}: typst could not compile the PDF: {err}") from err


def render_embedded(reports: Path, build: Path, out: Path, pages: list[str] | None = None) -> list[Path]:
    project = load_project(reports)
    page_list = pages or project.get("project", {}).get("render", [])
    execute_defaults = project.get("execute", {})
    env = {"PIPELINE_BUILD": str(build.resolve())}
    docs = {p: parse_qmd(reports / p) for p in page_list}
    formats = {p: page_format(d.front_matter) for p, d in docs.items()}
    footer = footer_text(build, project)
    stage_figures(build, out)
    css = TEMPLATES / "style.css"
    shutil.copy(css, out / "style.css")
    written = []
    with tempfile.TemporaryDirectory(prefix="render-") as scratch:
        workdir = Path(scratch)
        stage_figures(build, workdir)
        shared = render_cache.inputs_digest(build)
        cache_dir = build / "render-cache"
        for page, doc in docs.items():
            key = render_cache.page_key((reports / page).read_text(encoding="utf-8"), execute_defaults, shared)
            rendered = render_cache.load(cache_dir, key)
            if rendered is None:
                rendered = render_markdown(doc, cwd=reports.resolve(), env=env, execute_defaults=execute_defaults)
                render_cache.store(cache_dir, key, rendered)
            else:
                print(f"render: {page} unchanged, executed result reused from the cache")
            for name, payload in rendered.assets.items():
                for root in (out, workdir):
                    (root / name).parent.mkdir(parents=True, exist_ok=True)
                    (root / name).write_bytes(payload)
            target = out / output_name(page, formats[page])
            if formats[page] == "typst":
                target.write_bytes(_typst_pdf(rendered.markdown, doc.front_matter, workdir, Path(page).stem))
            else:
                nav = _nav(project, formats, target.name)
                html = _pandoc_html(
                    rendered.markdown, doc.front_matter, project, nav, footer, _after_body(reports, project)
                )
                target.write_text(html, encoding="utf-8")
            written.append(target)
    return written


def render_quarto(reports: Path, build: Path, out: Path) -> None:
    """``quarto render`` with the Jupyter engine; figures staged into the project as resources first."""
    stage_figures(build, reports)
    env = {**os.environ, "PIPELINE_BUILD": str(build.resolve())}
    cmd = ["quarto", "render", str(reports), "--output-dir", str(out.resolve())]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RenderError(f"quarto render failed ({proc.returncode}):\n{proc.stderr[-4000:]}")


def render_site(reports: Path, build: Path, site: Path, renderer: str = "auto", pages: list[str] | None = None) -> str:
    """Build into a temporary folder and replace ``site`` only if everything succeeded."""
    chosen = choose_renderer(renderer)
    site = Path(site)
    site.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{site.name}-", dir=site.parent))
    try:
        if chosen == "quarto":
            render_quarto(reports, build, tmp)
        else:
            render_embedded(reports, build, tmp, pages)
        data_dir = build / "site-data"
        if data_dir.exists():
            shutil.copytree(data_dir, tmp / "data", dirs_exist_ok=True)
        old = site.with_name(f".{site.name}-old")
        if old.exists():
            shutil.rmtree(old)
        if site.exists():
            site.rename(old)
        tmp.rename(site)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return chosen
