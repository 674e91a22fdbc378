"""The HTML writer: every string that reaches HTML outside pandoc's Markdown goes through here.

Raw HTML blocks (the per-trial number lists), the page template's variables (site title, navigation,
footer) and the feed's and indexes' HTML are built with :func:`html` templates and :func:`element`;
values are escaped (``&<>"'``) unless they are already :class:`Html`, as markupsafe's ``Markup`` does.
"""

from __future__ import annotations

import html as _stdlib_html
from collections.abc import Iterable


class Html(str):
    """HTML made by this writer: safe to put in a page as it is."""

    __slots__ = ()

    def __add__(self, other: object) -> Html:
        return Html(str.__add__(self, text(other)))

    def __radd__(self, other: object) -> Html:
        return Html(str.__add__(text(other), self))


def text(value: object) -> Html:
    """Any value as HTML text (quotes escaped too, so it is safe in attributes); Html is kept."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html("")
    return Html(_stdlib_html.escape(" ".join(str(value).split()), quote=True))


def html(template: str, *args: object, **kwargs: object) -> Html:
    """An HTML template (code, trusted) filled with values (escaped)."""
    return Html(template.format(*(text(a) for a in args), **{k: text(v) for k, v in kwargs.items()}))


def join(separator: str, parts: Iterable[object]) -> Html:
    return Html(separator.join(text(p) for p in parts))


def element(tag: str, *children: object, **attributes: object) -> Html:
    """``<tag attr="...">children</tag>``; attribute names are code (``class_`` for ``class``), values escaped."""
    attrs = "".join(f' {name.rstrip("_").replace("_", "-")}="{text(value)}"' for name, value in attributes.items())
    return Html(f"<{tag}{attrs}>" + "".join(text(c) for c in children) + f"</{tag}>")
