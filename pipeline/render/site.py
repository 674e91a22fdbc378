"""Render a review's Quarto project (``build/<review>/site-src``) to its site, through Quarto or the
embedded back end, into a staging folder that replaces the site only when every page succeeded.

Embedded back end: each page runs on a warm kernel (one per core, pages in parallel) unless its
cache entry is still valid (:mod:`pipeline.render.cache`); the Markdown goes through pandoc (from
pypandoc-binary) to HTML with one site template, or to Typst and the ``typst`` package to PDF.
A lock keeps two renders of one build from running at once; published folders are 0755 and files
0644 (a Pages deployment refuses folders others cannot read).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pypandoc
import typst
import yaml

from pipeline.present import to_html, to_markdown
from pipeline.render import cache as render_cache
from pipeline.render.execute import KernelWorker, PageMarkdown, RenderError, notebook_to_markdown
from pipeline.render.qmd import QmdDocument, parse_qmd

TEMPLATES = Path(__file__).parent / "templates"
FOOTER_SLOT = "@@PIPELINE-FOOTER@@"  # replaced by the footer after conversion (cached HTML has no date)
TYPST_FONT = "Libertinus Serif"  # shipped inside typst; with ignore_system_fonts the PDF is the same everywhere


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


def load_project(project_dir: Path) -> dict:
    return yaml.safe_load((project_dir / "_quarto.yml").read_text(encoding="utf-8")) or {}


def page_format(front_matter: dict) -> str:
    fmt = front_matter.get("format", "html")
    if isinstance(fmt, dict):
        fmt = next(iter(fmt))
    return "typst" if str(fmt).startswith("typst") else "html"


def output_name(qmd: str, fmt: str) -> str:
    return Path(qmd).with_suffix(".pdf" if fmt == "typst" else ".html").name


@contextlib.contextmanager
def render_lock(build: Path):
    """One render per build folder at a time; a second one stops with a clear message."""
    build.mkdir(parents=True, exist_ok=True)
    with open(build / ".render.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise RenderError(
                f"another build is rendering {build} right now; wait for it to finish (two at once could mix the site)"
            ) from err
        yield


def publish_permissions(root: Path) -> None:
    """Folders 0755 and files 0644, whatever the umask or mkdtemp gave them."""
    os.chmod(root, 0o755)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)


def footer_text(build: Path, project: dict) -> str:
    parts: list[object] = [str(project.get("website", {}).get("page-footer", ""))]
    index_path = build / "results" / "index.json"
    if index_path.exists():
        index = json.loads(index_path.read_text(encoding="utf-8"))
        parts.append(f"Data version {index.get('data_hash', '')[:12]}")
    current = build / "changes" / "current.json"
    if current.exists():
        info = json.loads(current.read_text(encoding="utf-8"))
        if info.get("citation"):
            parts.append("How to cite: " + info["citation"])
    parts.append(f"Built {date.today().isoformat()}")
    return to_html.join(" · ", (p for p in parts if p))


def _nav(project: dict, formats: dict[str, str], current: str) -> list[dict]:
    """Navbar entries from ``website.navbar.left``; a Quarto ``menu`` becomes an entry with sub-entries."""

    def entry(item) -> dict:
        href = item["href"] if isinstance(item, dict) else str(item)
        text = item.get("text", Path(href).stem) if isinstance(item, dict) else Path(href).stem
        target = output_name(href, formats.get(href, "html")) if href.endswith(".qmd") else href
        return {"href": quote(target, safe="/#.-_~"), "text": str(to_markdown.text(text)), "current": target == current}

    nav = []
    for item in project.get("website", {}).get("navbar", {}).get("left", []):
        if isinstance(item, dict) and "menu" in item:
            menu = [entry(sub) for sub in item["menu"]]
            nav.append(
                {
                    "text": str(to_markdown.text(item.get("text", ""))),
                    "menu": menu,
                    "current": any(m["current"] for m in menu),
                }
            )
        else:
            nav.append(entry(item))
    return nav


def _after_body(project_dir: Path, project: dict) -> list[str]:
    html_format = (project.get("format") or {}).get("html") or {}
    files = html_format.get("include-after-body") or []
    return [str(project_dir / f) for f in ([files] if isinstance(files, str) else files)] + [
        str(TEMPLATES / "site.js.html")
    ]


def _pandoc_html(markdown: str, front: dict, project: dict, nav: list[dict], footer: str, after_body: list[str]) -> str:
    site_title = project.get("website", {}).get("title", "")
    args = [
        "--standalone",
        f"--template={TEMPLATES / 'page.html'}",
        f"--lua-filter={TEMPLATES / 'crossref.lua'}",
        "--mathml",
        "--metadata",
        f"pagetitle={front.get('pagetitle') or front.get('title', '')}",  # -M: a plain string, escaped by pandoc
        "--variable",
        f"site-title={to_html.text(site_title)}",  # -V: inserted as it is, so HTML-escaped here
        "--variable",
        f"footer={footer}",
        "--variable",
        "lang=en",
    ]
    if front.get("toc"):
        args.append("--toc")
    args += [f"--include-after-body={path}" for path in after_body]
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
    # page settings go in as metadata: the template reads margin as a map (margin/pairs)
    meta = {
        "title": front.get("title", ""),
        "papersize": typst_opts.get("papersize", "a4"),
        "fontsize": str(typst_opts.get("fontsize", "10pt")),
        "mainfont": TYPST_FONT,
        "margin": {k: str(v) for k, v in typst_opts.get("margin", {"x": "1.6cm", "y": "1.4cm"}).items()},
    }
    meta_file = workdir / f"{stem}.meta.yaml"
    meta_file.write_text(yaml.safe_dump(meta), encoding="utf-8")
    args = [
        "--standalone",
        "--columns=2000",  # pipe tables keep automatic column widths: Typst sizes columns to their content
        f"--lua-filter={TEMPLATES / 'crossref.lua'}",
        f"--template={TEMPLATES / 'brief.typ'}",
        f"--metadata-file={meta_file}",
    ]
    source = pypandoc.convert_text(markdown, "typst", format="markdown", extra_args=args)
    typ = workdir / f"{stem}.typ"
    typ.write_text(source, encoding="utf-8")
    try:
        return typst.compile(str(typ), root=str(workdir), ignore_system_fonts=True)
    except RuntimeError as err:
        raise RenderError(f"{stem}: typst could not compile the PDF: {str(err).splitlines()[0]}") from err


def stage_assets(build: Path, target: Path) -> None:
    """Figures, the data package, editions and the feed, as the pages link them."""
    for name, dest in (("figures", "figures"), ("site-data", "data")):
        src = build / name
        if src.exists():
            shutil.copytree(src, target / dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))
    changes = build / "changes"
    if (changes / "feed.xml").exists():
        shutil.copy(changes / "feed.xml", target / "feed.xml")
    if (changes / "editions").exists():
        shutil.copytree(changes / "editions", target / "editions", dirs_exist_ok=True)


def _execute_pages(
    docs: dict[str, QmdDocument],
    todo: list[str],
    project_dir: Path,
    env: dict[str, str],
    jobs: int,
    on_done: Callable[[str, PageMarkdown], None] | None = None,
) -> dict[str, PageMarkdown | BaseException]:
    """Execute pages in parallel, one warm kernel per worker thread; ``on_done`` gets each page as it
    finishes (its conversion starts while the other pages still execute)."""
    results: dict[str, PageMarkdown | BaseException] = {}
    lock = threading.Lock()
    pending = list(todo)
    execute_defaults = env.pop("__execute_defaults__", "{}")

    def worker() -> None:
        kernel = None
        try:
            while True:
                with lock:
                    if not pending:
                        return
                    page = pending.pop(0)
                start = time.perf_counter()
                try:
                    if kernel is None:
                        kernel = KernelWorker(project_dir, env)
                    nb, reads = kernel.execute_page(docs[page])
                    rendered = notebook_to_markdown(nb, Path(page).stem, json.loads(execute_defaults))
                    rendered.reads = reads
                    results[page] = rendered
                    print(f"render: {page:<28} executed {time.perf_counter() - start:5.1f} s", flush=True)
                    if on_done is not None:
                        on_done(page, rendered)
                except BaseException as err:  # reported after the other pages finish
                    results[page] = err
        finally:
            if kernel is not None:
                kernel.shutdown()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(jobs, len(todo))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def render_embedded(
    project_dir: Path, build: Path, out: Path, pages: list[str] | None = None, jobs: int | None = None
) -> list[Path]:
    project = load_project(project_dir)
    page_list = pages or project.get("project", {}).get("render", [])
    execute_defaults = project.get("execute", {})
    docs = {p: parse_qmd(project_dir / p) for p in page_list}
    formats = {p: page_format(d.front_matter) for p, d in docs.items()}
    cache_dir = build / "render-cache"
    keys = {p: render_cache.page_key((project_dir / p).read_text(encoding="utf-8"), execute_defaults) for p in docs}
    jobs = jobs or os.cpu_count() or 1
    footer = footer_text(build, project)
    after = _after_body(project_dir, project)
    fixed_inputs = "".join(Path(f).read_text(encoding="utf-8") for f in after) + "".join(
        (TEMPLATES / name).read_text(encoding="utf-8") for name in ("page.html", "crossref.lua")
    )
    hits = {p: render_cache.load(cache_dir, p, keys[p], build) for p in docs}
    todo = [p for p in docs if hits[p] is None]
    env = {"PIPELINE_BUILD": str(build.resolve()), "__execute_defaults__": json.dumps(execute_defaults)}
    staged = threading.Event()  # conversions wait until the figures and data are in place
    conversions = {}
    with (
        tempfile.TemporaryDirectory(prefix="render-") as scratch,
        ThreadPoolExecutor(max_workers=jobs) as pool,
        ThreadPoolExecutor(max_workers=1) as runner,
    ):
        workdir = Path(scratch)

        def convert(page: str, result: PageMarkdown) -> Path:
            staged.wait()
            for name, payload in result.assets.items():
                for root in (out, workdir):
                    (root / name).parent.mkdir(parents=True, exist_ok=True)
                    (root / name).write_bytes(payload)
            target = out / output_name(page, formats[page])
            front = docs[page].front_matter
            if formats[page] == "typst":
                target.write_bytes(_typst_pdf(result.markdown, front, workdir, Path(page).stem))
                return target
            nav = _nav(project, formats, target.name)
            key = render_cache.conversion_key(
                result.markdown, json.dumps(front, sort_keys=True, default=str), json.dumps(nav), fixed_inputs
            )
            text = render_cache.load_converted(cache_dir, page, key)
            if text is None:  # the footer (build date, data version) goes in after, so it never spoils the cache
                text = _pandoc_html(result.markdown, front, project, nav, FOOTER_SLOT, after)
                render_cache.store_converted(cache_dir, page, key, text)
            target.write_text(text.replace(FOOTER_SLOT, footer), encoding="utf-8")
            return target

        def executed(page: str, result: PageMarkdown) -> None:
            render_cache.store(cache_dir, page, keys[page], result)
            conversions[page] = pool.submit(convert, page, result)

        # the kernels start first (they take longest); assets are staged while they boot
        running = runner.submit(_execute_pages, docs, todo, project_dir.resolve(), env, jobs, executed)
        try:
            stage_assets(build, out)
            shutil.copy(TEMPLATES / "style.css", out / "style.css")
            stage_assets(build, workdir)
        finally:
            staged.set()
        for p, hit in hits.items():
            if hit is not None:
                print(f"render: {p:<28} cached", flush=True)
                conversions[p] = pool.submit(convert, p, hit)
        outcomes = running.result()
        failures = [(p, e) for p, e in outcomes.items() if isinstance(e, BaseException)]
        written = [conversions[p].result() for p in docs if p in conversions]
    if failures:
        page, err = failures[0]
        log = build / "render-error.log"
        log.write_text("\n\n".join(f"{p}:\n{e}" for p, e in failures), encoding="utf-8")
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise RenderError(f"{page} failed: {first} (details in {log})")
    return written


def render_quarto(project_dir: Path, build: Path, out: Path) -> None:
    """``quarto render`` with the Jupyter engine on the venv's interpreter; assets staged as resources."""
    stage_assets(build, project_dir)
    env = {**os.environ, "PIPELINE_BUILD": str(build.resolve()), "QUARTO_PYTHON": sys.executable}
    cmd = ["quarto", "render", str(project_dir), "--output-dir", str(out.resolve())]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        log = build / "render-error.log"
        log.write_text(proc.stdout + "\n" + proc.stderr, encoding="utf-8")
        raise RenderError(f"quarto render failed (exit {proc.returncode}); details in {log}")


def render_site(
    project_dir: Path,
    build: Path,
    site: Path,
    renderer: str = "auto",
    pages: list[str] | None = None,
    jobs: int | None = None,
) -> str:
    """Build into a staging folder beside ``site`` and swap it in only if every page succeeded."""
    chosen = choose_renderer(renderer)
    site = Path(site)
    site.parent.mkdir(parents=True, exist_ok=True)
    with render_lock(Path(build)):
        for stale in site.parent.glob(f".{site.name}-staging-*"):  # left by an interrupted render
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{site.name}-staging-", dir=site.parent))
        try:
            start = time.perf_counter()
            if chosen == "quarto":
                render_quarto(project_dir, build, tmp)
            else:
                render_embedded(project_dir, build, tmp, pages, jobs)
                if (build / "site-data").exists() and not (tmp / "data").exists():
                    shutil.copytree(build / "site-data", tmp / "data")
            publish_permissions(tmp)
            old = site.with_name(f".{site.name}-old")
            if old.exists():
                shutil.rmtree(old)
            if site.exists():
                site.rename(old)
            tmp.rename(site)
            if old.exists():
                shutil.rmtree(old)
            print(f"render: site in {site} ({chosen}, {time.perf_counter() - start:.1f} s)")
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return chosen
