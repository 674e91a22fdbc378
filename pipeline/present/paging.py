"""How long forest plots are split into pages (RevMan and metafor plots stay legible to about 40 rows).

Apart from the drawing code so that planning which figures exist does not import matplotlib.
"""

from __future__ import annotations

ROWS_PER_PAGE = 40


def pages(k: int, per_page: int = ROWS_PER_PAGE) -> list[tuple[int, int]]:
    """(first, end) row ranges of the pages of a plot of ``k`` trials."""
    return [(i, min(i + per_page, k)) for i in range(0, k, per_page)]
