"""Shared figure settings: reproducible SVG, fonts, risk-of-bias colours and symbols (robvis)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

from pipeline.present.to_svg import SVG_SETTINGS, figure_text, svg_document

matplotlib.rcParams.update(SVG_SETTINGS)
matplotlib.rcParams["font.family"] = "DejaVu Sans"
matplotlib.rcParams["axes.unicode_minus"] = True

PRINT_WIDTH_IN = 7.0  # A4 with 1.5 cm margins is 18 cm (7.09 in) wide: the brief shows print figures at 1:1
PRINT_FONT_PT = 7.5  # at least 7 pt on paper, as RevMan's exports
SCREEN_FONT_PT = 9.0

# robvis (McGuinness & Higgins 2021): symbols and the Cochrane palette; a colour-blind palette
SYMBOLS = {
    "low": "+",
    "some concerns": "−",
    "moderate": "−",
    "high": "×",
    "serious": "×",
    "critical": "!",
    "no information": "?",
}
PALETTES = {
    "cochrane": {
        "low": "#02C100",
        "some concerns": "#E2DF07",
        "moderate": "#E2DF07",
        "high": "#BF0000",
        "serious": "#BF0000",
        "critical": "#820000",
        "no information": "#4EA1F7",
    },
    "colourblind": {
        "low": "#fed98e",
        "some concerns": "#fe9929",
        "moderate": "#fe9929",
        "high": "#d95f0e",
        "serious": "#d95f0e",
        "critical": "#993404",
        "no information": "#ffffff",
    },
}
JUDGEMENTS = {
    "RoB 2": ("low", "some concerns", "high"),
    "ROBINS-I": ("low", "moderate", "serious", "critical", "no information"),
}


def legend_text(tool: str | None = None) -> str:
    """'+ low, − some concerns, × high' for one tool, or both tools' symbols."""
    tools = [tool] if tool else ["RoB 2", "ROBINS-I"]
    parts = []
    for t in tools:
        words = ", ".join(f"{SYMBOLS[j]} {j}" for j in JUDGEMENTS[t])
        parts.append(f"{t}: {words}" if tool is None else words)
    return "; ".join(parts)


def svg_bytes(fig) -> bytes:
    return svg_document(fig)


def shorten(text: str, limit: int) -> str:
    """A label from the data, drawable (:func:`pipeline.present.to_svg.figure_text`) and at most ``limit`` long."""
    text = figure_text(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def wrap_to_width(text: str, width_in: float, fontsize_pt: float) -> str:
    """Break text into lines that fit ``width_in`` inches at ``fontsize_pt`` (an average DejaVu Sans glyph
    is about 0.55 em wide). Fixed breaks instead of matplotlib's ``wrap=True``, which measures the text
    word by word on every draw and was most of the time of some figures."""
    import textwrap

    return textwrap.fill(" ".join(str(text).split()), max(20, int(width_in * 72 / (0.55 * fontsize_pt))))


def write_figure(fig, folder: Path, stem: str, alt: str) -> list[Path]:
    """SVG for the site and the brief, and its alt text beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    svg = folder / f"{stem}.svg"
    svg.write_bytes(svg_bytes(fig))
    alt_file = folder / f"{stem}.alt.txt"
    alt_file.write_text(alt, encoding="utf-8")
    return [svg, alt_file]
