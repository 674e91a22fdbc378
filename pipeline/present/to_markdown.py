"""The Markdown writer: every string that reaches a page's Markdown goes through here and is escaped.

Pages are pandoc Markdown (converted to HTML and to Typst). Anything from the data folder may hold
characters that Markdown, HTML or Typst would interpret (``<script>``, ``*``, ``|`` in a table cell,
``@`` read as a citation, ``#`` and ``$`` in Typst, ``=`` starting a Typst heading). Every such
character is backslash-escaped, which pandoc supports for all ASCII punctuation, so the text comes
out literally in HTML (escaped) and in Typst.

Escaping is by construction, as Jinja2's autoescape and markupsafe's ``Markup`` do it: text made by
this writer is a :class:`Markdown` string and is kept as it is; any other value is escaped when it
meets Markdown: in :func:`md` templates, in ``Markdown + str``, in :func:`table` cells and headers,
in :func:`join`. Call sites never escape by hand: they write a template (trusted code) and pass the
values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from urllib.parse import quote

from tabulate import tabulate

from pipeline.present.to_html import Html

_SPECIAL = set("\\`*_{}[]<>()#+!|@$~^&=-")  # quotes stay: pandoc turns them into typographic quotes
_ASCII_WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")  # not str.split(): non-breaking spaces are kept
MAX_CELL = 600  # characters of one data string shown in a table cell (the full text is in the data download)


class Markdown(str):
    """Markdown made by this writer: safe to put in a page as it is."""

    __slots__ = ()

    def __add__(self, other: object) -> Markdown:
        return Markdown(str.__add__(self, _joined(other)))

    def __radd__(self, other: object) -> Markdown:
        return Markdown(str.__add__(_joined(other), self))


def _joined(value: object) -> str:
    """What ``Markdown + value`` adds: Markdown as it is, other text escaped with its line breaks kept."""
    return value if isinstance(value, Markdown) else _escape(value, None, keep_lines=True)


def _escape(value: object, limit: int | None, keep_lines: bool = False) -> str:
    """Backslash-escape Markdown/HTML-significant characters; whitespace runs become one space (kept as
    they are with ``keep_lines``, for separators between blocks); optionally shorten."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    s = str(value) if keep_lines else _ASCII_WHITESPACE.sub(" ", str(value)).strip(" ")
    if limit is not None and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in s)


def text(value: object, limit: int | None = None) -> Markdown:
    """Any value as Markdown text: escaped, unless it already is :class:`Markdown`."""
    if isinstance(value, Markdown):
        return value
    return Markdown(_escape(value, limit))


def _arg(value: object) -> object:
    # numbers keep their type so that format specifications ({n:,}) apply; their text needs no escaping
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return text(value)


def md(template: str, *args: object, **kwargs: object) -> Markdown:
    """A Markdown template (code, trusted) filled with values (escaped): ``md("**{}** trials", label)``."""
    return Markdown(template.format(*(_arg(a) for a in args), **{k: _arg(v) for k, v in kwargs.items()}))


def join(separator: str, parts: Iterable[object]) -> Markdown:
    """Parts joined by a separator (code, trusted); each part escaped unless it is Markdown."""
    return Markdown(separator.join(text(p) for p in parts))


def table(rows: list[dict], align: str = "left") -> Markdown:
    """A pipe table; every header and cell is escaped unless it is Markdown (long text shortened)."""
    if not rows:
        return Markdown("")
    headers = list(rows[0])
    body = [[text(r.get(h), MAX_CELL) for h in headers] for r in rows]
    heads = [text(h) for h in headers]
    return Markdown(
        tabulate(body, headers=heads, tablefmt="pipe", disable_numparse=True, colalign=[align] * len(headers))
    )


def bullets(items: Iterable[object]) -> Markdown:
    return Markdown("\n".join(f"- {text(item)}" for item in items))


def code(value: object) -> Markdown:
    """An inline code span (identifiers, versions); backticks and line breaks removed."""
    return Markdown("`" + " ".join(str(value).replace("`", "").split()) + "`")


def _attribute(value: object) -> str:
    """A pandoc attribute value in double quotes: plain text, no quotes or backslashes, one line."""
    return " ".join(str(value).replace("\\", "").replace('"', "'").split())


def figure(path: str, caption: object, label: str, alt: object) -> Markdown:
    """An image with its caption (escaped Markdown), cross-reference label and alt text (an attribute)."""
    return Markdown(f'![{text(caption)}]({path}){{#{_attribute(label)} fig-alt="{_attribute(alt)}"}}')


def link(label: object, href: str) -> Markdown:
    """``[label](href)``: the label escaped, the address percent-encoded (no spaces, brackets or quotes)."""
    return Markdown(f"[{text(label)}]({quote(href, safe='/#.-_~:?=&%')})")


def raw_html(block: Html) -> Markdown:
    """A block of HTML made by :mod:`pipeline.present.to_html` (which escaped every string in it)."""
    if not isinstance(block, Html):
        raise TypeError("raw HTML must be made by pipeline.present.to_html")
    return Markdown(f"```{{=html}}\n{block}\n```")
