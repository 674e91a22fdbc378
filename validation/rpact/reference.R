# Regenerate tests/fixtures/rpact_reference.json: Lan-DeMets O'Brien-Fleming boundaries from rpact.
# The same designs as tests/test_sequential.py::DESIGNS; run with Rscript and paste the output into
# the "designs" list of the fixture (tests/test_sequential.py::_rpact_values does exactly this live).
suppressMessages(library(rpact))
f <- function(x) paste(sprintf("%.15g", x), collapse = ",")
designs <- list(c(0.1, 0.25, 0.4, 1), c(0.3, 0.6, 1), c(0.2, 0.5, 0.9, 1),
                c(0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1), c(0.5, 1))
for (r in designs) {
  two <- getDesignGroupSequential(typeOfDesign = "asOF", alpha = 0.05, sided = 2, informationRates = r)
  one <- getDesignGroupSequential(typeOfDesign = "asOF", alpha = 0.025, beta = 0.2, sided = 1,
                                  typeBetaSpending = "bsOF", bindingFutility = FALSE, informationRates = r)
  cat(f(r), f(two$criticalValues), f(one$criticalValues), f(one$futilityBounds), sep = ";")
  cat("\n")
}
