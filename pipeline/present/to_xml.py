"""The XML writer (the Atom feed): elements whose text and attribute values are always escaped.

XML 1.0 cannot carry most C0 control characters even escaped; validation rejects them in the data,
and this writer drops any that reach it, so the feed always parses.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Xml(str):
    """XML made by this writer."""

    __slots__ = ()


def text(value: object) -> Xml:
    if isinstance(value, Xml):
        return value
    return Xml(escape(_NOT_XML.sub("", "" if value is None else str(value))))


def element(tag: str, *children: object, **attributes: object) -> Xml:
    """``<tag a="v">children</tag>`` (children: Xml elements, or text that is escaped)."""
    attrs = "".join(f" {name.rstrip('_')}={quoteattr(_NOT_XML.sub('', str(v)))}" for name, v in attributes.items())
    if not children:
        return Xml(f"<{tag}{attrs}/>")
    return Xml(f"<{tag}{attrs}>" + "".join(text(c) for c in children) + f"</{tag}>")


def document(root: Xml) -> str:
    return '<?xml version="1.0" encoding="utf-8"?>\n' + root + "\n"
