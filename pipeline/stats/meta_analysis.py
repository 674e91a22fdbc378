"""One entry point from arm-level data to a pooled fit: effect sizes + model + convention."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.stats.conventions import Convention, get_convention
from pipeline.stats.effect_sizes import (
    BINARY_MEASURES,
    CONTINUOUS_MEASURES,
    EffectSizes,
    TwoByTwo,
    binary_effect_sizes,
    continuous_effect_sizes,
)
from pipeline.stats.measures import COUNT_METHODS, FIXED_METHODS
from pipeline.stats.models import MetaFit, PoolingError, pool_inverse_variance, pool_mantel_haenszel, pool_peto
from pipeline.stats.tau2 import TAU2_METHODS

METHODS = (*FIXED_METHODS, *TAU2_METHODS)
MEASURES = (*BINARY_MEASURES, *CONTINUOUS_MEASURES)


@dataclass(frozen=True)
class BinaryData:
    events_t: np.ndarray
    n_t: np.ndarray
    events_c: np.ndarray
    n_c: np.ndarray

    def table(self) -> TwoByTwo:
        return TwoByTwo.from_arms(self.events_t, self.n_t, self.events_c, self.n_c)


@dataclass(frozen=True)
class ContinuousData:
    mean_t: np.ndarray
    sd_t: np.ndarray
    n_t: np.ndarray
    mean_c: np.ndarray
    sd_c: np.ndarray
    n_c: np.ndarray


def study_effect_sizes(measure: str, data: BinaryData | ContinuousData, convention: Convention) -> EffectSizes:
    """Per-study estimates as displayed and as pooled by inverse-variance models."""
    if measure in BINARY_MEASURES:
        if not isinstance(data, BinaryData):
            raise PoolingError(f"{measure} needs binary (events/total) data")
        return binary_effect_sizes(measure, data.table(), drop00=convention.escalc_drop00)
    if measure in CONTINUOUS_MEASURES:
        if not isinstance(data, ContinuousData):
            raise PoolingError(f"{measure} needs continuous (mean/SD/n) data")
        return continuous_effect_sizes(measure, data.mean_t, data.sd_t, data.n_t, data.mean_c, data.sd_c, data.n_c)
    raise PoolingError(f"unknown measure {measure!r}: use one of {', '.join(MEASURES)}")


def meta_analysis(
    measure: str,
    method: str,
    data: BinaryData | ContinuousData,
    hksj: bool = False,
    convention: str = "metafor",
    hksj_truncate: bool = False,
) -> MetaFit:
    """Pool studies: ``measure`` in RR/OR/RD/MD/SMD, ``method`` in FE/MH/PETO/DL/REML/PM/ML/SJ/HE.

    Raises :class:`PoolingError` with a readable message for data the model cannot pool.
    """
    conv = get_convention(convention)
    if method not in METHODS:
        raise PoolingError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    if method in COUNT_METHODS:
        if hksj:
            raise PoolingError(f"the HKSJ adjustment applies to inverse-variance models, not {method}")
        if not isinstance(data, BinaryData):
            raise PoolingError(f"{method} pooling needs binary (events/total) data")
        table = data.table()
        if method == "PETO":
            if measure != "OR":
                raise PoolingError("Peto's method estimates an odds ratio: use --measure OR")
            peto = binary_effect_sizes("PETO", table, drop00=conv.q_drop00)
            return pool_peto(table, peto.yi, peto.vi)
        if measure not in BINARY_MEASURES:
            raise PoolingError(f"Mantel-Haenszel pooling is defined for RR, OR and RD, not {measure}")
        es = binary_effect_sizes(measure, table, drop00=conv.q_drop00)
        return pool_mantel_haenszel(measure, table, es.yi, es.vi, add=conv.mh_add, to=conv.mh_to, drop00=conv.mh_drop00)
    es = study_effect_sizes(measure, data, conv)
    return pool_inverse_variance(
        measure, es.yi, es.vi, method=method, hksj=hksj, i2_definition=conv.i2_definition, hksj_truncate=hksj_truncate
    )
