#!/usr/bin/env Rscript
# Regenerate the metafor reference values the parity tests compare against.
#   Rscript validation/metafor/reference.R OUT.csv
# One row per dataset x measure x method x HKSJ x convention, every field at full precision.
# metafor is run with tight convergence controls, because its default stopping points are
# loose (e.g. Paule-Mandel stops about 1e-4 from the exact root) and we report exact optima.
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/fixtures/metafor_reference.csv"
ctrl <- list(threshold = 1e-12, tol = 1e-13, maxiter = 10000)

binary <- list(
  bcg = with(dat.bcg, data.frame(ai = tpos, n1i = tpos + tneg, ci = cpos, n2i = cpos + cneg)),
  li2007 = with(dat.li2007, data.frame(ai = ai, n1i = n1i, ci = ci, n2i = n2i)),
  hine1989 = with(dat.hine1989, data.frame(ai = ai, n1i = n1i, ci = ci, n2i = n2i)),
  nielweise2007 = with(dat.nielweise2007, data.frame(ai = ai, n1i = n1i, ci = ci, n2i = n2i)),
  # small synthetic set with single-zero and double-zero (no events in either arm) studies,
  # shaped like the MSC trials (few, small, sparse deaths)
  sparse = data.frame(ai = c(0, 0, 1, 0, 5), n1i = c(9, 7, 12, 29, 11), ci = c(0, 1, 7, 2, 1), n2i = c(9, 3, 12, 29, 6))
)
continuous <- list(
  normand1999 = with(dat.normand1999, data.frame(m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i))
)
iv_methods <- c("FE", "DL", "REML", "PM", "ML", "SJ", "HE")
rows <- list()
num <- function(x) sprintf("%.17g", as.numeric(x))
add_row <- function(dataset, measure, method, hksj, convention, fit, k = fit$k) {
  p <- predict(fit)
  pi.lb <- if (is.null(p$pi.lb)) p$ci.lb else p$pi.lb
  pi.ub <- if (is.null(p$pi.ub)) p$ci.ub else p$pi.ub
  rows[[length(rows) + 1]] <<- data.frame(
    dataset = dataset, measure = measure, method = method, hksj = hksj, convention = convention, k = k,
    estimate = num(fit$beta), se = num(fit$se), ci_lower = num(fit$ci.lb), ci_upper = num(fit$ci.ub),
    pvalue = num(fit$pval), tau2 = num(fit$tau2), i2 = num(fit$I2), q = num(fit$QE), q_pvalue = num(fit$QEp),
    pi_lower = num(pi.lb), pi_upper = num(pi.ub), metafor = as.character(packageVersion("metafor")))
}
quiet <- function(expr) suppressWarnings(suppressMessages(expr))
for (name in names(binary)) {
  d <- binary[[name]]
  for (measure in c("RR", "OR", "RD")) {
    for (method in iv_methods) {
      for (hksj in c(FALSE, TRUE)) {
        fit <- quiet(rma(measure = measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, method = method,
                         test = if (hksj) "knha" else "z", control = ctrl))
        add_row(name, measure, method, hksj, "metafor", fit)
        # RevMan convention for IV models: double-zero studies dropped (I2 not compared: RevMan's is Q-based)
        fit <- quiet(rma(measure = measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, method = method,
                         test = if (hksj) "knha" else "z", control = ctrl, drop00 = TRUE))
        add_row(name, measure, method, hksj, "revman", fit)
      }
    }
    fit <- quiet(rma.mh(measure = measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d))
    add_row(name, measure, "MH", FALSE, "metafor", fit)
    fit <- quiet(rma.mh(measure = measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d,
                        add = c(1/2, 1/2), to = c("only0", "only0"), drop00 = c(TRUE, TRUE)))
    add_row(name, measure, "MH", FALSE, "revman", fit)
  }
  fit <- quiet(rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d))
  add_row(name, "OR", "PETO", FALSE, "metafor", fit)
}
for (name in names(continuous)) {
  d <- continuous[[name]]
  for (measure in c("MD", "SMD")) {
    for (method in iv_methods) {
      for (hksj in c(FALSE, TRUE)) {
        fit <- quiet(rma(measure = measure, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                         data = d, method = method, test = if (hksj) "knha" else "z", control = ctrl))
        add_row(name, measure, method, hksj, "metafor", fit)
      }
    }
  }
}
write.csv(do.call(rbind, rows), out, row.names = FALSE)
# The input data, so the Python side reads exactly what metafor read.
for (name in names(binary)) write.csv(binary[[name]], sub("reference.csv$", paste0("data_", name, ".csv"), out), row.names = FALSE)
for (name in names(continuous)) write.csv(continuous[[name]], sub("reference.csv$", paste0("data_", name, ".csv"), out), row.names = FALSE)
cat("wrote", nrow(do.call(rbind, rows)), "reference fits to", out, "\n")
