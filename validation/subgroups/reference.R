#!/usr/bin/env Rscript
# Regenerate the metafor reference values for the tests for subgroup differences.
#   Rscript validation/subgroups/reference.R OUT.json
# For each dataset x tau2 estimator:
#   - common tau2: rma(yi, vi, mods = ~ factor(group), method, test) for test = "z" and "knha",
#     with QM, tau2, QE, I2, H2, R2, the coefficients, their covariance and predict() per level;
#   - separate tau2 (RevMan's test, no R function exists): each subgroup fitted by its own rma()
#     (a one-trial subgroup: rma's k = 1 fit, tau2 = 0), then Q_between = sum w_g (mu_g - mu_bar)^2,
#     w_g = 1/se_g^2, computed here by hand from those fits.
# metafor runs with tight convergence controls, because we report exact optima.
suppressMessages(library(metafor))
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/fixtures/subgroup_tests_reference.json"
ctrl <- list(threshold = 1e-12, tol = 1e-13, maxiter = 10000)
methods <- c("REML", "ML", "DL", "PM", "SJ", "HE")

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
li <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.li2007)
hart <- escalc(measure = "OR", ai = x1i, n1i = n1i, ci = x2i, n2i = n2i, data = dat.hart1999)
datasets <- list(
  # BCG vaccine trials (log risk ratio) by allocation method: random / alternate / systematic
  bcg_alloc = list(measure = "RR", yi = c(bcg$yi), vi = c(bcg$vi), group = as.character(dat.bcg$alloc)),
  # BCG by absolute latitude of the trial site, split at 30 degrees
  bcg_latitude = list(measure = "RR", yi = c(bcg$yi), vi = c(bcg$vi),
                      group = ifelse(dat.bcg$ablat > 30, "high latitude", "low latitude")),
  # magnesium after myocardial infarction (log odds ratio, zero cells corrected by escalc's 1/2):
  # trials published before ISIS-4 (1995) and from 1995 on
  li2007_year = list(measure = "OR", yi = c(li$yi), vi = c(li$vi),
                     group = ifelse(dat.li2007$year < 1995, "before 1995", "from 1995")),
  # warfarin in atrial fibrillation (log odds ratio of stroke) by comparator: 5 placebo trials and
  # one untreated-control trial, so one subgroup has a single trial
  hart1999_comparator = list(measure = "OR", yi = c(hart$yi), vi = c(hart$vi), group = as.character(dat.hart1999$compgrp))
)

quiet <- function(expr) suppressWarnings(suppressMessages(expr))
common_fit <- function(d, method, test) {
  levels <- sort(unique(d$group), method = "radix")  # C-locale order, as Python sorts
  g <- factor(d$group, levels = levels)
  fit <- quiet(rma(d$yi, d$vi, mods = ~ g, method = method, test = test, control = ctrl))
  newmods <- rbind(rep(0, length(levels) - 1), diag(length(levels) - 1))
  pred <- predict(fit, newmods = newmods)
  list(method = method, test = test, k = fit$k, levels = levels,
       group_k = as.vector(table(g)),
       qm = fit$QM, qm_df = fit$QMdf[1], qm_df_residual = if (test == "knha") fit$QMdf[2] else NA,
       qm_pvalue = fit$QMp, tau2 = fit$tau2, s2w = fit$s2w, qe = fit$QE, qe_df = fit$k - fit$p,
       qe_pvalue = fit$QEp, i2 = fit$I2, h2 = fit$H2, r2 = fit$R2,
       coefficients = c(fit$beta), covariance = unname(fit$vb),
       group_estimate = c(pred$pred), group_se = c(pred$se), group_ci_lower = c(pred$ci.lb), group_ci_upper = c(pred$ci.ub))
}
separate_fit <- function(d, method) {
  levels <- sort(unique(d$group), method = "radix")
  fits <- lapply(levels, function(l) {
    s <- d$group == l
    quiet(rma(d$yi[s], d$vi[s], method = method, control = ctrl))
  })
  est <- sapply(fits, function(f) c(f$beta))
  se <- sapply(fits, function(f) f$se)
  w <- 1 / se^2
  q <- sum(w * (est - sum(w * est) / sum(w))^2)
  list(method = method, levels = levels, group_k = sapply(fits, function(f) f$k), group_estimate = est,
       group_se = se, group_tau2 = sapply(fits, function(f) f$tau2), q_between = q,
       df = length(levels) - 1, pvalue = pchisq(q, length(levels) - 1, lower.tail = FALSE))
}

result <- list(metafor = as.character(packageVersion("metafor")), control = ctrl, datasets = list())
for (name in names(datasets)) {
  d <- datasets[[name]]
  common <- list()
  separate <- list()
  for (method in methods) {
    for (test in c("z", "knha")) common[[length(common) + 1]] <- common_fit(d, method, test)
    separate[[length(separate) + 1]] <- separate_fit(d, method)
  }
  result$datasets[[name]] <- list(measure = d$measure, yi = d$yi, vi = d$vi, group = d$group,
                                  common_tau2 = common, separate_tau2 = separate)
}
write_json(result, out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
cat("wrote", length(datasets), "datasets x", length(methods), "estimators to", out, "\n")
