"""Put strings that come from data into pandoc Markdown, HTML and Typst safely.

Anything from ``data/`` may contain characters that Markdown, HTML or Typst would interpret
(``<script>``, ``*``, ``|`` in a table cell, ``@`` read as a citation, ``#`` and ``$`` in Typst).
Every such character is backslash-escaped, which pandoc supports for all ASCII punctuation, so the
text comes out literally in HTML (escaped) and in Typst. Tables are pipe tables from ``tabulate``.
"""

from __future__ import annotations

import html
import math

from tabulate import tabulate

_SPECIAL = set("\\`*_{}[]<>()#+!|@$~^&=\"'-")
MAX_CELL = 600  # characters of one data string shown in a table cell (the full text is in the data download)


def escape_markdown(text: object, limit: int | None = None) -> str:
    """Backslash-escape Markdown/HTML-significant characters; newlines become spaces; optionally shorten."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    s = " ".join(str(text).split())
    if limit is not None and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in s)


def escape_html(text: object) -> str:
    return "" if text is None else html.escape(" ".join(str(text).split()), quote=True)


def markdown_table(rows: list[dict], escape: bool = True, align: str = "left") -> str:
    """A pipe table. ``escape`` escapes every cell (turn it off only for cells built here from numbers
    and already-escaped text)."""
    if not rows:
        return ""
    headers = list(rows[0])
    body = [
        [
            escape_markdown(r.get(h), MAX_CELL) if escape else ("" if r.get(h) is None else str(r.get(h)))
            for h in headers
        ]
        for r in rows
    ]
    heads = [escape_markdown(h) if escape else h for h in headers]
    return tabulate(body, headers=heads, tablefmt="pipe", disable_numparse=True, colalign=[align] * len(headers))


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)
