#!/usr/bin/env Rscript
# Regenerate the metafor/lme4 reference values for the binomial-normal GLMM.
#   Rscript validation/glmm/reference.R OUT.json
# rma.glmm(measure = "OR", model = "UM.FS") on each dataset, twice:
#   - "default": rma.glmm's defaults (glmer nAGQ = 7, optimizers bobyqa then Nelder_Mead);
#   - "tight": the same model with glmer's nloptwrap optimizer and tight tolerances, which reaches a
#     higher likelihood than the default on every dataset here.
# Recorded: metafor's results, glmer's parameters (theta = tau, then the fixed effects: treatment,
# then one intercept per study), glmer's log-likelihood (relative to the saturated binomial
# model, as lme4's logLik reports it for cbind responses), the gradient at the optimum and every
# warning (lme4 convergence warnings mark fits that are excluded from the tolerance claims).
suppressMessages(library(metafor))
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/fixtures/glmm_reference.json"

datasets <- list(
  bcg = with(dat.bcg, data.frame(ai = tpos, n1i = tpos + tneg, ci = cpos, n2i = cpos + cneg)),
  li2007 = with(dat.li2007, data.frame(ai = ai, n1i = n1i, ci = ci, n2i = n2i)),
  nielweise2007 = with(dat.nielweise2007, data.frame(ai = ai, n1i = n1i, ci = ci, n2i = n2i)),
  hine1989 = with(dat.hine1989, data.frame(ai = ai, n1i = n1i, ci = ci, n2i = n2i)),
  # the synthetic sparse set of validation/metafor/reference.R: a double-zero trial and single zeros
  sparse = data.frame(ai = c(0, 0, 1, 0, 5), n1i = c(9, 7, 12, 29, 11), ci = c(0, 1, 7, 2, 1), n2i = c(9, 3, 12, 29, 6))
)
controls <- list(
  default = list(),
  tight = list(glmerCtrl = list(optimizer = "nloptwrap",
                                optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-15, ftol_rel = 1e-15,
                                               xtol_rel = 1e-12, maxeval = 1e6)))
)

fit_one <- function(d, control) {
  warnings <- character(0)
  fit <- withCallingHandlers(
    rma.glmm(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, model = "UM.FS",
             control = control, retfit = TRUE),
    warning = function(w) { warnings <<- c(warnings, conditionMessage(w)); invokeRestart("muffleWarning") })
  m <- fit$res.ML
  fixef <- unname(lme4::fixef(m))
  list(k = fit$k, estimate = c(fit$beta), se = fit$se, ci_lower = fit$ci.lb, ci_upper = fit$ci.ub,
       zval = fit$zval, pvalue = fit$pval, tau2 = fit$tau2, i2 = fit$I2, h2 = fit$H2,
       qe_wald = fit$QE.Wld, qe_wald_pvalue = fit$QEp.Wld, qe_lrt = fit$QE.LRT, qe_lrt_pvalue = fit$QEp.LRT,
       qe_df = fit$QE.df, theta = unname(lme4::getME(m, "theta")), treatment = fixef[1],
       study_intercepts = fixef[-1], loglik_relative = c(logLik(m)),
       max_abs_gradient = max(abs(m@optinfo$derivs$gradient)),
       convergence_warning = any(grepl("converge", warnings)), warnings = I(warnings))
}

result <- list(metafor = as.character(packageVersion("metafor")), lme4 = as.character(packageVersion("lme4")),
               datasets = list())
for (name in names(datasets)) {
  d <- datasets[[name]]
  entry <- list(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i)
  for (cn in names(controls)) entry[[cn]] <- fit_one(d, controls[[cn]])
  result$datasets[[name]] <- entry
}
write_json(result, out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
cat("wrote", length(datasets), "datasets to", out, "\n")
