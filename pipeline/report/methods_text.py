"""Small displays for the methods page (software versions used by this build)."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from pipeline.report.markdown_text import markdown_table


def software_table(index: dict) -> Markdown:
    versions = index.get("software", {})
    frame = pd.DataFrame([{"Software": name, "Version": version} for name, version in versions.items()])
    return Markdown(markdown_table(frame))
