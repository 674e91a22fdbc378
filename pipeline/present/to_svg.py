"""The SVG writer: how every figure becomes an SVG file, with every string in it drawn as text.

matplotlib writes the SVG and escapes XML itself. Two of its defaults would let a string from the data
change the drawing: ``$...$`` in any text is read as mathtext (a trial named "$5 trial$" would be
typeset as maths, and an unbalanced ``$`` raises an error), and random element ids make the same figure
differ byte for byte. :data:`SVG_SETTINGS` turns both off (``text.parse_math``, matplotlib >= 3.5) and
keeps text as text (searchable, accessible); :func:`svg_document` writes a figure with them.
Control characters are rejected at validation; :func:`figure_text` drops any that still arrive.
"""

from __future__ import annotations

import io
import re

SVG_SETTINGS = {
    "svg.hashsalt": "living-review",  # no random ids: the same figure gives the same bytes
    "svg.fonttype": "none",  # text stays text: searchable, accessible, smaller
    "text.parse_math": False,  # a "$" in a trial's label is a dollar sign, never mathtext
}
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def figure_text(value: object) -> str:
    """A string to draw: one line, no control characters."""
    return "" if value is None else " ".join(_CONTROL.sub(" ", str(value)).split())


def svg_document(fig) -> bytes:
    """The figure as SVG bytes (the figure must have been made under :data:`SVG_SETTINGS`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()
