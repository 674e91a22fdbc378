"""``python -m pipeline new DIR``: an empty review that validates and builds a site saying "no trials yet".

Copies the generic schemas, a commented ``review.yaml`` and the tables with their headers only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FILES = Path(__file__).parent / "scaffold_files"


def scaffold_review(target: Path, title: str = "A new living review") -> Path:
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not empty; choose a new folder")
    shutil.copytree(FILES, target, dirs_exist_ok=True)
    review = target / "review.yaml"
    text = review.read_text(encoding="utf-8").replace("title: A new living review", f"title: {title}", 1)
    review.write_text(text, encoding="utf-8")
    return target
