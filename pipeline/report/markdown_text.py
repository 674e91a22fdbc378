"""Put strings that come from data into pandoc Markdown safely.

Anything from ``data/`` may contain characters that Markdown or HTML would interpret
(``<script>``, ``*``, ``|`` in a table cell, ``@`` read as a citation). Every such
character is backslash-escaped, which pandoc supports for all ASCII punctuation, so
the text is shown literally in HTML (escaped) and in Typst.
"""

from __future__ import annotations

import math

import pandas as pd

_SPECIAL = set("\\`*_{}[]<>()#+!|@$~^&=\"'")


def escape_markdown(text: object) -> str:
    """Backslash-escape Markdown/HTML-significant characters; newlines become spaces."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    out = []
    for ch in str(text).replace("\r", " ").replace("\n", " "):
        out.append("\\" + ch if ch in _SPECIAL else ch)
    return "".join(out)


def markdown_table(frame: pd.DataFrame, escape_columns: list[str] | None = None, align: str | tuple = "left") -> str:
    """A pipe table via ``DataFrame.to_markdown`` (tabulate); escapes the named columns (default: every column)."""
    frame = frame.copy()
    columns = escape_columns if escape_columns is not None else list(frame.columns)
    for c in columns:
        frame[c] = frame[c].map(escape_markdown)
    return frame.to_markdown(
        index=False, colalign=[align] * len(frame.columns) if isinstance(align, str) else align, disable_numparse=True
    )
