"""Cache of executed pages, so an unchanged page is not run through a kernel again (~1 s each).

The key is a hash of everything an execution can depend on: the page's source, the
execute defaults, the precomputed inputs under the build folder (results, tables, figures,
data package) and the source of the modules pages call (``pipeline/report``). Any change
to any of these re-executes the page; nothing else does.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from pipeline.render.execute import PageMarkdown

PAGE_INPUT_DIRS = ("results", "tables", "figures", "site-data")
REPORT_CODE = Path(__file__).resolve().parents[1] / "report"


def _hash_tree(digest, folder: Path) -> None:
    if not folder.exists():
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode("utf-8"))
        digest.update(path.read_bytes())


def inputs_digest(build: Path) -> str:
    """One hash of the build inputs and report code shared by every page (computed once per render)."""
    digest = hashlib.sha256()
    for name in PAGE_INPUT_DIRS:
        _hash_tree(digest, build / name)
    _hash_tree(digest, REPORT_CODE)
    return digest.hexdigest()


def page_key(qmd_text: str, execute_defaults: dict, shared: str) -> str:
    digest = hashlib.sha256()
    digest.update(qmd_text.encode("utf-8"))
    digest.update(json.dumps(execute_defaults, sort_keys=True).encode("utf-8"))
    digest.update(shared.encode("utf-8"))
    return digest.hexdigest()


def load(cache_dir: Path, key: str) -> PageMarkdown | None:
    path = cache_dir / f"{key}.json"
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    return PageMarkdown(
        raw["markdown"], raw["front_matter"], {name: base64.b64decode(data) for name, data in raw["assets"].items()}
    )


def store(cache_dir: Path, key: str, page: PageMarkdown) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "markdown": page.markdown,
        "front_matter": page.front_matter,
        "assets": {name: base64.b64encode(data).decode("ascii") for name, data in page.assets.items()},
    }
    tmp = cache_dir / f".{key}.tmp"
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    tmp.replace(cache_dir / f"{key}.json")
