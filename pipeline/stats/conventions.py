"""Named sets of conventions, so a result says which tool's defaults it reproduces.

Users constantly ask why metafor, RevMan and R's ``meta`` give different numbers for the
same trials. The differences are few and all about zero cells and I^2:

=====================  =========================================  ==========================================
setting                ``metafor`` (default)                        ``revman``
=====================  =========================================  ==========================================
study estimates        add 1/2 to all cells of zero-cell studies   same
double-zero studies    kept in ``escalc``/``rma.uni``;             dropped everywhere
                       dropped from Q in ``rma.mh``/``rma.peto``
MH pooling             raw counts (``rma.mh`` ``add[2]=0``)         add 1/2 to zero-cell studies first
I^2 (random effects)   tau^2-based (Higgins & Thompson 2002 eq.9)  Q-based ``(Q - df)/Q``
=====================  =========================================  ==========================================

Sources: metafor help pages for ``escalc``, ``rma.mh`` (argument ``add``: "Stata/RevMan add
1/2 by default for only0 studies (but drop studies with no/all events)") and ``print.rma``;
RevMan 5 statistical algorithms (Deeks & Higgins 2010), sections on zero cells and I^2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Convention:
    name: str
    escalc_drop00: bool  # drop double-zero studies from per-study estimates for IV models
    q_drop00: bool  # drop double-zero studies from the per-study estimates behind MH/Peto Q
    mh_add: float
    mh_to: str
    mh_drop00: bool
    i2_definition: str  # "tau2" or "q" for random-effects models

    def describe(self) -> str:
        return {
            "metafor": "metafor (escalc: add 1/2 to zero-cell studies, keep double-zero; MH on raw counts; tau2-based I2)",
            "revman": "RevMan (drop double-zero studies; add 1/2 to zero-cell studies in MH too; Q-based I2)",
        }[self.name]


CONVENTIONS = {
    "metafor": Convention(
        "metafor", escalc_drop00=False, q_drop00=True, mh_add=0.0, mh_to="none", mh_drop00=False, i2_definition="tau2"
    ),
    "revman": Convention(
        "revman", escalc_drop00=True, q_drop00=True, mh_add=0.5, mh_to="only0", mh_drop00=True, i2_definition="q"
    ),
}


def get_convention(name: str) -> Convention:
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise ValueError(f"unknown convention {name!r}: use {' or '.join(CONVENTIONS)}") from None
