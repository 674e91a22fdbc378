"""Binomial-normal GLMM for sparse binary data: fixed study effects, random treatment effect (ML).

This is metafor's ``rma.glmm(measure="OR", model="UM.FS")`` (unconditional model, fixed study
effects), which calls ``lme4::glmer``::

    glmer(cbind(events, non-events) ~ -1 + treat + study + (group12 - 1 | study),
          family = binomial, nAGQ = 7)

with, for study ``i``, ``treat = 1`` in the treatment arm and 0 in the control arm and the random
effect multiplied by ``group12 = +1/2`` (treatment) / ``-1/2`` (control) (metafor's default
``coding = 1/2``)::

    logit p_treatment = alpha_i + mu + b_i / 2,    logit p_control = alpha_i - b_i / 2,
    b_i ~ N(0, tau^2),

``alpha_i`` fixed study intercepts, ``mu`` the log odds ratio. Each study's marginal likelihood
``int Bin(a | n1, p_t(b)) Bin(c | n2, p_c(b)) phi(b; 0, tau^2) db`` is approximated, as glmer does
with ``nAGQ = 7``, by adaptive Gauss-Hermite quadrature (Pinheiro & Bates 1995, J Comput Graph
Stat 4:12-35; lme4's ``glmerAGQ``): with ``b = tau u``, ``u ~ N(0, 1)``, the 7 nodes are centred at
the conditional mode of ``u`` and scaled by the conditional curvature
``1 + tau^2/4 (n1 p_t (1 - p_t) + n2 p_c (1 - p_c))``.

The estimates maximise that approximate likelihood over ``(alpha_1..alpha_k, mu, tau)``, as
glmer's second optimisation stage does (the study intercepts are parameters of the outer
optimisation, not of the penalised IRLS step). Derivatives are exact: the gradient by complex-step
differentiation (Squire & Trapp 1998, SIAM Rev 40:110) of the quadrature formula (conditional mode
included), the Hessian by central differences of that gradient. The optimum is found by
damped Newton ascent until the Newton step is below ``STEP_TOLERANCE`` in every parameter, so the
result is the maximiser of the 7-point approximation; lme4's default Nelder-Mead stage stops
much earlier (see validation/glmm/README.md for what that means for parity).

Reported as metafor reports them (``rma.glmm`` source, metafor 3.8):

- ``se`` from the inverse of the observed information of all parameters (tau included), the
  ``mu`` element, as ``vcov.merMod`` does with glmer's finite-difference Hessian; z-based CI and p.
- ``tau2 = tau^2`` (``VarCorr``).
- ``I2 = 100 tau2 / (tau2 + s2)``, ``H2 = tau2/s2 + 1``, with ``s2`` the "typical" within-study
  variance of the ``escalc`` log odds ratios (1/2 added to zero-cell tables, double-zero tables
  dropped), ``s2 = (k-1) sum w / ((sum w)^2 - sum w^2)``, ``w = 1/vi``.
- Heterogeneity: ``QE_LRT = -2 (ll_FE - ll_saturated)``, where ``ll_FE`` is the fixed-effect
  logistic regression with study intercepts and a common log odds ratio and ``ll_saturated`` the
  model with one odds ratio per study; ``QE_Wald`` is the Wald test of equal log odds ratios in the
  saturated model, i.e. Cochran's Q with the uncorrected log odds ratios and ``w = 1/v``. Studies
  with a zero cell have an infinite log odds ratio and infinite variance there, weight 0 in the
  limit; glm stops close to that limit, this module reports the limit. Both on ``k - 1`` df.
- Double-zero tables (no events, or only events, in both arms) are dropped (``drop00 = TRUE``,
  rma.glmm's default): they carry no information on the odds ratio under this model and their
  study intercept is infinite. Single-zero tables are used as they are, without continuity
  corrections: that is the point of the model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import gammaln

from pipeline.stats.distributions import Z_975, chi2_upper_tail, normal_two_sided_p
from pipeline.stats.effect_sizes import TwoByTwo, binary_effect_sizes
from pipeline.stats.models import PoolingError, tau2_based_i2
from pipeline.stats.tau2 import tau2_dersimonian_laird

QUADRATURE_POINTS = 7  # rma.glmm's default nAGQ = 7 (adaptive Gauss-Hermite quadrature in glmer)
RANDOM_EFFECT_CODING = 0.5  # rma.glmm coding = 1/2: the random effect enters as +b/2 (treatment), -b/2 (control)
STEP_TOLERANCE = 1e-10  # stop when the Newton step is below this in every parameter (gradients exact)
COMPLEX_STEP = 1e-30
HESSIAN_STEP = 1e-5  # central differences of the exact gradient
MODE_TOLERANCE = 1e-14
MAX_MODE_ITERATIONS = 100
MAX_NEWTON_ITERATIONS = 200
BOUNDARY_TAU = 1e-5  # |tau| below this: the maximum is on the boundary tau2 = 0, refitted there exactly


@dataclass(frozen=True)
class GlmmFit:
    """One binomial-normal fit. ``estimate`` is the log odds ratio."""

    measure: str
    model: str
    k: int  # studies in the fit
    dropped: np.ndarray  # bool, input order: double-zero (or all-event) tables left out
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    zval: float
    pvalue: float
    tau2: float
    i2: float
    h2: float
    qe_wald: float
    qe_wald_pvalue: float
    qe_lrt: float
    qe_lrt_pvalue: float
    qe_df: int
    loglik: float  # maximised (approximate) marginal log-likelihood, binomial constants included
    loglik_fixed: float  # fixed-effect logistic model (tau2 = 0)
    loglik_saturated: float  # one odds ratio per study
    study_intercepts: np.ndarray  # alpha_i, studies in the fit
    quadrature_points: int
    iterations: int

    @property
    def k_dropped(self) -> int:
        return int(self.dropped.sum())

    def as_dict(self) -> dict:
        out = asdict(self)
        out["dropped"] = self.dropped.tolist()
        out["study_intercepts"] = self.study_intercepts.tolist()
        out["k_dropped"] = self.k_dropped
        return out


@dataclass(frozen=True)
class _Counts:
    a: np.ndarray  # treatment events
    n1: np.ndarray
    c: np.ndarray  # control events
    n2: np.ndarray


def _softplus(eta):
    """``log(1 + exp(eta))``, stable for large |eta| and analytic (so complex steps pass through)."""
    positive = eta.real > 0
    safe_pos = np.where(positive, eta, 0)
    safe_neg = np.where(positive, 0, eta)
    return np.where(positive, safe_pos + np.log1p(np.exp(-safe_pos)), np.log1p(np.exp(safe_neg)))


def _expit(eta):
    positive = eta.real > 0
    safe_pos = np.where(positive, eta, 0)
    safe_neg = np.where(positive, 0, eta)
    return np.where(positive, 1 / (1 + np.exp(-safe_pos)), np.exp(safe_neg) / (1 + np.exp(safe_neg)))


def _binomial_constant(counts: _Counts) -> float:
    """``sum log C(n1, a) + log C(n2, c)``: the likelihood's constant, as in R's logLik for binomial fits."""

    def log_choose(n, x):
        return gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1)

    return float(np.sum(log_choose(counts.n1, counts.a) + log_choose(counts.n2, counts.c)))


def _conditional_log_density(counts: _Counts, alpha, mu, tau, u):
    """``log Bin(a | n1, p_t(u)) + log Bin(c | n2, p_c(u)) - u^2/2`` without constants, per study (and node)."""
    half_b = RANDOM_EFFECT_CODING * tau * u
    eta_t = alpha + mu + half_b
    eta_c = alpha - half_b
    return counts.a * eta_t - counts.n1 * _softplus(eta_t) + counts.c * eta_c - counts.n2 * _softplus(eta_c) - u**2 / 2


def _conditional_mode(counts: _Counts, alpha, mu, tau):
    """Mode of ``u`` given the data of each study and its curvature (Newton with step halving; concave)."""
    u = np.zeros_like(alpha + mu + tau)
    scale = RANDOM_EFFECT_CODING * tau
    for _ in range(MAX_MODE_ITERATIONS):
        p_t = _expit(alpha + mu + scale * u)
        p_c = _expit(alpha - scale * u)
        slope = scale * (counts.a - counts.n1 * p_t) - scale * (counts.c - counts.n2 * p_c) - u
        curvature = 1 + scale**2 * (counts.n1 * p_t * (1 - p_t) + counts.n2 * p_c * (1 - p_c))
        step = slope / curvature
        current = _conditional_log_density(counts, alpha, mu, tau, u).real
        for _halving in range(30):
            trial = u + step
            better = _conditional_log_density(counts, alpha, mu, tau, trial).real >= current - 1e-12 * abs(current)
            if np.all(better):
                break
            step = np.where(better, step, step / 2)
        u = u + step
        if np.max(np.abs(step)) <= MODE_TOLERANCE * max(1.0, float(np.max(np.abs(u.real)))):
            break
    p_t = _expit(alpha + mu + scale * u)
    p_c = _expit(alpha - scale * u)
    curvature = 1 + scale**2 * (counts.n1 * p_t * (1 - p_t) + counts.n2 * p_c * (1 - p_c))
    return u, curvature


def _quadrature_rule(points: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``z`` and weights ``w`` for ``int g(z) phi(z) dz ~ sum w g(z)`` (lme4's ``GHrule``)."""
    x, w = np.polynomial.hermite.hermgauss(points)
    return np.sqrt(2) * x, w / np.sqrt(np.pi)


def _study_log_likelihoods(counts: _Counts, alpha, mu, tau, points: int = QUADRATURE_POINTS):
    """Adaptive Gauss-Hermite approximation of each study's marginal log-likelihood (constants excluded).

    ``log L_i = g(u*) - log(H)/2 + log sum_q w_q exp(z_q^2/2 + g(u* + z_q/sqrt(H)) - g(u*))``
    with ``g`` the conditional log density of ``u`` (standard normal prior included), ``u*`` its mode
    and ``H = -g''(u*)``: lme4's ``glmerAGQ`` formula. Accepts complex parameters (complex steps).
    """
    nodes, weights = _quadrature_rule(points)
    mode, curvature = _conditional_mode(counts, alpha, mu, tau)
    at_mode = _conditional_log_density(counts, alpha, mu, tau, mode)
    spread = 1 / np.sqrt(curvature)
    u = mode[:, None] + nodes[None, :] * spread[:, None]
    col = _Counts(*(x[:, None] for x in (counts.a, counts.n1, counts.c, counts.n2)))
    alpha_ = np.broadcast_to(alpha, mode.shape)[:, None]
    log_terms = _conditional_log_density(col, alpha_, mu, tau, u) - at_mode[:, None] + nodes**2 / 2
    shift = log_terms.real.max(axis=1, keepdims=True)
    total = np.sum(weights * np.exp(log_terms - shift), axis=1)
    return at_mode - np.log(curvature) / 2 + shift[:, 0] + np.log(total)


def _per_study_gradient(counts: _Counts, alpha, mu, tau, points):
    """Exact per-study derivatives of ``log L_i`` in ``alpha_i``, ``mu``, ``tau`` by complex steps.

    Each study depends on its own ``alpha_i`` only, so one complex step on all intercepts at once
    gives every ``d log L_i / d alpha_i``.
    """
    h = COMPLEX_STEP
    d_alpha = _study_log_likelihoods(counts, alpha + 1j * h, mu, tau, points).imag / h
    d_mu = _study_log_likelihoods(counts, alpha.astype(complex), mu + 1j * h, tau, points).imag / h
    d_tau = _study_log_likelihoods(counts, alpha.astype(complex), mu, tau + 1j * h, points).imag / h
    return np.stack([d_alpha, d_mu, d_tau])


def _unpack(params: np.ndarray) -> tuple[np.ndarray, float, float]:
    return params[:-2], float(params[-2]), float(params[-1])


def _gradient(counts: _Counts, params: np.ndarray, points: int) -> np.ndarray:
    alpha, mu, tau = _unpack(params)
    per_study = _per_study_gradient(counts, alpha, mu, tau, points)
    return np.concatenate([per_study[0], per_study[1:].sum(axis=1)])


def _hessian(counts: _Counts, params: np.ndarray, points: int) -> np.ndarray:
    """Hessian of the total log-likelihood: central differences of the exact per-study gradients.

    The intercept block is diagonal, so three perturbation directions (all intercepts, mu, tau)
    give every entry.
    """
    alpha, mu, tau = _unpack(params)
    k = len(alpha)
    h = HESSIAN_STEP
    blocks = []  # blocks[j][i, s]: d(gradient component i of study s) / d(direction j)
    for direction in range(3):
        shift = np.zeros(3)
        shift[direction] = h
        up = _per_study_gradient(counts, alpha + shift[0], mu + shift[1], tau + shift[2], points)
        down = _per_study_gradient(counts, alpha - shift[0], mu - shift[1], tau - shift[2], points)
        blocks.append((up - down) / (2 * h))
    hess = np.zeros((k + 2, k + 2))
    hess[np.arange(k), np.arange(k)] = blocks[0][0]
    for j in (1, 2):  # cross terms intercept x (mu, tau), symmetrised
        cross = (blocks[j][0] + blocks[0][j]) / 2
        hess[:k, k + j - 1] = cross
        hess[k + j - 1, :k] = cross
    for i in (1, 2):
        for j in (1, 2):
            hess[k + i - 1, k + j - 1] = (blocks[j][i].sum() + blocks[i][j].sum()) / 2
    return hess


def _fixed_effect_log_likelihood(counts: _Counts, alpha: np.ndarray, mu: float) -> float:
    eta_t, eta_c = alpha + mu, alpha
    return float(
        np.sum(counts.a * eta_t - counts.n1 * _softplus(eta_t) + counts.c * eta_c - counts.n2 * _softplus(eta_c))
    )


def _fit_fixed_effect(counts: _Counts) -> tuple[np.ndarray, float]:
    """Logistic regression with study intercepts and a common log odds ratio (rma.glmm's ``res.FE``).

    Newton's method on the concave log-likelihood with step halving, to a step below 1e-12.
    Returns the intercepts and the log odds ratio.
    """
    k = len(counts.a)
    alpha = np.log((counts.a + counts.c + 0.5) / (counts.n1 + counts.n2 - counts.a - counts.c + 0.5))
    mu = 0.0
    current = _fixed_effect_log_likelihood(counts, alpha, mu)
    for _iteration in range(MAX_NEWTON_ITERATIONS):
        p_t, p_c = _expit(alpha + mu), _expit(alpha)
        w_t, w_c = counts.n1 * p_t * (1 - p_t), counts.n2 * p_c * (1 - p_c)
        gradient = np.append(
            counts.a - counts.n1 * p_t + counts.c - counts.n2 * p_c, np.sum(counts.a - counts.n1 * p_t)
        )
        hess = np.zeros((k + 1, k + 1))
        hess[np.arange(k), np.arange(k)] = -(w_t + w_c)
        hess[:k, k] = hess[k, :k] = -w_t
        hess[k, k] = -w_t.sum()
        step = -np.linalg.solve(hess, gradient)
        for _halving in range(60):
            trial = _fixed_effect_log_likelihood(counts, alpha + step[:k], mu + step[k])
            if trial >= current - 1e-12 * abs(current):
                break
            step = step / 2
        alpha, mu, current = alpha + step[:k], mu + step[k], trial
        if np.max(np.abs(step)) <= 1e-12:
            return alpha, mu
    raise PoolingError("the fixed-effect logistic model did not converge (separated data?)")


def _saturated_by_study(counts: _Counts) -> np.ndarray:
    """Binomial log-likelihood of each study at its observed proportions (``0 log 0 = 0``), constants excluded."""

    def arm(x, n):
        with np.errstate(divide="ignore", invalid="ignore"):
            events = np.where(x > 0, x * np.log(x / n), 0.0)
            non_events = np.where(n - x > 0, (n - x) * np.log((n - x) / n), 0.0)
        return events + non_events

    return arm(counts.a, counts.n1) + arm(counts.c, counts.n2)


def _wald_heterogeneity(counts: _Counts) -> float:
    """Cochran's Q of the uncorrected log odds ratios; tables with a zero cell have weight 0 (the limit)."""
    b, d = counts.n1 - counts.a, counts.n2 - counts.c
    finite = (counts.a > 0) & (b > 0) & (counts.c > 0) & (d > 0)
    if finite.sum() < 2:
        return 0.0
    a, b, c, d = counts.a[finite], b[finite], counts.c[finite], d[finite]
    yi = np.log(a * d / (b * c))
    wi = 1 / (1 / a + 1 / b + 1 / c + 1 / d)
    mean = np.dot(wi, yi) / wi.sum()
    return float(np.dot(wi, (yi - mean) ** 2))


def _starting_tau(table: TwoByTwo) -> float:
    """A starting value away from the saddle point tau = 0: sqrt of the DerSimonian-Laird tau2, at least 0.2."""
    es = binary_effect_sizes("OR", table, drop00=True)
    usable = es.usable
    tau2, _ = tau2_dersimonian_laird(es.yi[usable], es.vi[usable])
    return float(np.sqrt(max(tau2, 0.04)))


def _ascent_direction(gradient: np.ndarray, hess: np.ndarray) -> np.ndarray:
    """Newton's direction where the Hessian is negative definite; otherwise the Hessian's eigenvalues
    are replaced by minus their absolute values (always an ascent direction, and it leaves saddles)."""
    values, vectors = np.linalg.eigh(hess)
    if np.all(values < 0):
        return -np.linalg.solve(hess, gradient)
    scaled = np.maximum(np.abs(values), 1e-8)
    return vectors @ ((vectors.T @ gradient) / scaled)


def _maximise(counts: _Counts, start: np.ndarray, points: int) -> tuple[np.ndarray, int]:
    """Damped Newton ascent with exact gradients until the Newton step is below ``STEP_TOLERANCE``.

    The log-likelihood is taken relative to the saturated model study by study, so that its value
    is of order k and the line search compares values well above rounding. ``tau`` is unconstrained:
    the likelihood is even in ``tau`` (``b`` and ``-b`` have the same distribution), ``tau2 = tau^2``,
    and ``tau = 0`` is a stationary point, a maximum exactly when the fit belongs on the boundary.
    (``scipy.optimize.minimize(method="trust-exact")`` stops short here: close to the optimum the
    predicted gains fall below the rounding of the likelihood and it reports a bad approximation.)
    """
    reference = _saturated_by_study(counts)

    def loglik(params: np.ndarray) -> float:
        alpha, mu, tau = _unpack(params)
        return float(np.sum(_study_log_likelihoods(counts, alpha, mu, tau, points) - reference))

    params, current = start.copy(), loglik(start)
    for iteration in range(1, MAX_NEWTON_ITERATIONS + 1):
        step = _ascent_direction(_gradient(counts, params, points), _hessian(counts, params, points))
        if np.max(np.abs(step)) <= STEP_TOLERANCE * max(1.0, float(np.max(np.abs(params)))):
            return params + step, iteration
        for _halving in range(60):
            trial = loglik(params + step)
            if trial >= current - 1e-12 * max(1.0, abs(current)):
                break
            step = step / 2
        else:
            raise PoolingError("the binomial-normal model did not converge: no ascent step found")
        params, current = params + step, trial
    raise PoolingError(f"the binomial-normal model did not converge in {MAX_NEWTON_ITERATIONS} Newton steps")


def marginal_log_likelihood(
    table: TwoByTwo,
    estimate: float,
    tau2: float,
    study_intercepts: np.ndarray,
    quadrature_points: int = QUADRATURE_POINTS,  # metafor rma.glmm nAGQ
) -> float:
    """The model's (quadrature-approximated) log-likelihood at given parameters, constants included.

    ``study_intercepts`` are those of the studies kept (double-zero tables dropped), in input order.
    Used to check this likelihood against glmer's at glmer's own estimates.
    """
    counts = _counts(table, ~table.is_double_zero)
    alpha = np.asarray(study_intercepts, dtype=float)
    ll = _study_log_likelihoods(counts, alpha, float(estimate), float(np.sqrt(tau2)), quadrature_points)
    return float(np.sum(ll)) + _binomial_constant(counts)


def _counts(table: TwoByTwo, keep: np.ndarray) -> _Counts:
    return _Counts(table.a[keep], table.n1[keep], table.c[keep], table.n2[keep])


def _check_estimable(counts: _Counts) -> None:
    if len(counts.a) < 2:
        raise PoolingError(
            "the binomial-normal model needs at least 2 studies with events (after dropping double-zero studies)"
        )
    for what, total in (
        ("treatment events", counts.a),
        ("treatment non-events", counts.n1 - counts.a),
        ("control events", counts.c),
        ("control non-events", counts.n2 - counts.c),
    ):
        if total.sum() == 0:
            raise PoolingError(f"the odds ratio is not estimable: no {what} in any study")


def fit_binomial_normal(
    table: TwoByTwo,
    quadrature_points: int = QUADRATURE_POINTS,  # metafor rma.glmm nAGQ
) -> GlmmFit:
    """Binomial-normal model with fixed study effects and a random treatment effect, by ML.

    metafor ``rma.glmm(measure="OR", model="UM.FS", method="ML")`` (Viechtbauer's metafor
    documentation, ``rma.glmm``; Turner et al. 2000, Stat Med 19:3417; Stijnen, Hamza & Ozdemir
    2010, Stat Med 29:3046, model "UM.FS" there called the unconditional model with fixed study
    effects). Formulas and conventions: see the module docstring.

    Double-zero and all-event tables are always left out (rma.glmm's default ``drop00 = TRUE``;
    keeping them makes their study intercept infinite and changes nothing else); ``dropped`` says which.
    """
    dropped = table.is_double_zero
    counts = _counts(table, ~dropped)
    _check_estimable(counts)
    constant = _binomial_constant(counts)
    alpha_fe, mu_fe = _fit_fixed_effect(counts)
    ll_fixed = _fixed_effect_log_likelihood(counts, alpha_fe, mu_fe) + constant
    ll_saturated = float(np.sum(_saturated_by_study(counts))) + constant
    start = np.concatenate([alpha_fe, [mu_fe, _starting_tau(table)]])
    params, iterations = _maximise(counts, start, quadrature_points)
    alpha, mu, tau = _unpack(params)
    ll = float(np.sum(_study_log_likelihoods(counts, alpha, mu, tau, quadrature_points))) + constant
    if abs(tau) < BOUNDARY_TAU or ll < ll_fixed:
        # the maximum is at tau2 = 0, where the model is the fixed-effect logistic regression
        params, ll = np.concatenate([alpha_fe, [mu_fe, 0.0]]), ll_fixed
    return _finish(table, counts, dropped, params, ll, ll_fixed, ll_saturated, quadrature_points, iterations)


def _finish(table, counts, dropped, params, ll, ll_fixed, ll_saturated, points, iterations) -> GlmmFit:
    alpha, mu, tau = _unpack(params)
    covariance = np.linalg.inv(-_hessian(counts, params, points))
    se = float(np.sqrt(covariance[-2, -2]))
    tau2 = tau**2
    k = len(counts.a)
    es = binary_effect_sizes("OR", table, drop00=True)
    i2, h2 = tau2_based_i2(es.vi[es.usable], tau2)
    qe_df = k - 1
    qe_wald = _wald_heterogeneity(counts)
    qe_lrt = max(0.0, -2 * (ll_fixed - ll_saturated))
    zval = mu / se
    return GlmmFit(
        measure="OR",
        model="UM.FS",
        k=k,
        dropped=dropped,
        estimate=mu,
        se=se,
        ci_lower=mu - Z_975 * se,
        ci_upper=mu + Z_975 * se,
        zval=zval,
        pvalue=normal_two_sided_p(zval),
        tau2=tau2,
        i2=float(i2),
        h2=float(h2),
        qe_wald=qe_wald,
        qe_wald_pvalue=chi2_upper_tail(qe_wald, qe_df),
        qe_lrt=qe_lrt,
        qe_lrt_pvalue=chi2_upper_tail(qe_lrt, qe_df),
        qe_df=qe_df,
        loglik=float(ll),
        loglik_fixed=ll_fixed,
        loglik_saturated=ll_saturated,
        study_intercepts=alpha.copy(),
        quadrature_points=points,
        iterations=iterations,
    )
