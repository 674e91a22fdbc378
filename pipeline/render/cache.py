"""Cache of executed pages: a page runs through a kernel again only when something it used changed.

Each entry is keyed by the page: its source, the execute options, the code pages and renderers run
(the import closure of ``pipeline.pages.page`` and ``pipeline.render``) and the versions of the
packages that execute and convert (ipykernel, nbformat, pandoc, typst). It stores the files the page
read while it executed (recorded by :mod:`pipeline.pages.page`) with their content hashes; the
entry is used only while every one of those files still has the same content (or is still absent).
So an edit to one outcome's data re-runs that outcome's page, the overview and the brief, and no other.
Dates are never part of a cached page: the build date is added to the footer at conversion.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from importlib import metadata
from pathlib import Path

from pipeline.build_system.output_files import write_atomic
from pipeline.build_system.stage_deps import code_digest
from pipeline.render.execute import PageMarkdown

PACKAGES = ("ipykernel", "jupyter_client", "nbformat", "pypandoc-binary", "typst", "matplotlib")


@cache
def renderer_key() -> str:
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=none")
    return code_digest(["pipeline.pages.page", "pipeline.render.site"]) + ";" + ";".join(versions)


def page_key(qmd_text: str, execute_defaults: dict) -> str:
    digest = hashlib.sha256()
    digest.update(qmd_text.encode("utf-8"))
    digest.update(json.dumps(execute_defaults, sort_keys=True).encode("utf-8"))
    digest.update(renderer_key().encode("utf-8"))
    return digest.hexdigest()


def _current(build: Path, rel: str) -> str:
    try:
        return hashlib.sha256((build / rel).read_bytes()).hexdigest()
    except OSError:
        return "absent"


def _entry_path(cache_dir: Path, page: str) -> Path:
    return cache_dir / (page.replace("/", "_") + ".json")


def load(cache_dir: Path, page: str, key: str, build: Path) -> PageMarkdown | None:
    """The cached page, or None when the page or anything it read has changed."""
    path = _entry_path(cache_dir, page)
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if raw.get("key") != key:
        return None
    if any(_current(build, rel) != digest for rel, digest in raw["reads"].items()):
        return None
    return PageMarkdown(
        raw["markdown"],
        raw["front_matter"],
        {name: base64.b64decode(data) for name, data in raw["assets"].items()},
        raw["reads"],
    )


def store(cache_dir: Path, page: str, key: str, rendered: PageMarkdown) -> None:
    payload = {
        "key": key,
        "reads": rendered.reads,
        "markdown": rendered.markdown,
        "front_matter": rendered.front_matter,
        "assets": {name: base64.b64encode(data).decode("ascii") for name, data in rendered.assets.items()},
    }
    write_atomic(_entry_path(cache_dir, page), json.dumps(payload))


def conversion_key(*parts: str) -> str:
    """Key of one page's pandoc conversion: its Markdown, front matter, navigation, templates, renderer."""
    digest = hashlib.sha256(renderer_key().encode("utf-8"))
    for part in parts:
        digest.update(b"\0" + part.encode("utf-8"))
    return digest.hexdigest()


def load_converted(cache_dir: Path, page: str, key: str) -> str | None:
    """A page's HTML from an earlier conversion with the same key, or None."""
    path = cache_dir / "html" / (page.replace("/", "_") + ".json")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw["html"] if raw.get("key") == key else None


def store_converted(cache_dir: Path, page: str, key: str, text: str) -> None:
    write_atomic(cache_dir / "html" / (page.replace("/", "_") + ".json"), json.dumps({"key": key, "html": text}))
