# Reference values of R's fGarch for tests/test_garch_ref.c.
#
#   Rscript tests/garch_reference.R   (from the repository root)
#
# writes tests/data/garch_fgarch.txt: for each case the coefficients and
# their standard errors, the log-likelihood and predict()'s 10-step
# meanError and standardDeviation.  fGarch's @fit$llh is the NEGATIVE
# log-likelihood with every constant included (it reproduces the FCP
# benchmark -1106.60788 on dem2gbp), so "loglik" below is -llh.
# The series: DAX of datasets/EuStockMarkets.csv as percent log returns,
# 100 * diff(log(price)) (what `tsf --returns log` makes), and dem2gbp as
# shipped in datasets/dem2gbp.csv (exported from fGarch's data(dem2gbp)).
suppressPackageStartupMessages(library(fGarch))
eu <- read.csv("datasets/EuStockMarkets.csv")
dax <- 100 * diff(log(eu$DAX))
dem <- read.csv("datasets/dem2gbp.csv")$DEM2GBP
out <- "tests/data/garch_fgarch.txt"
con <- file(out, "w")
cat(sprintf("# fGarch %s, R %s: tests/garch_reference.R\n", packageVersion("fGarch"),
            getRversion()), file = con)
one <- function(name, spec, x, formula, ...) {
  f <- garchFit(formula, data = x, trace = FALSE, ...)
  cf <- coef(f)
  se <- sqrt(diag(f@fit$cvar))
  cat(sprintf("case %s %s\n", name, spec), file = con)
  for (k in names(cf)) cat(sprintf("coef %s %.12g %.12g\n", k, cf[[k]], se[[k]]), file = con)
  cat(sprintf("loglik %.12g\n", -f@fit$llh), file = con)
  p <- predict(f, n.ahead = 10)
  cat("meanError", sprintf("%.12g", p$meanError), "\n", file = con)
  cat("sd", sprintf("%.12g", p$standardDeviation), "\n", file = con)
  cat("end\n", file = con)
}
one("dem_garch11", "garch(1,1)", dem, ~garch(1, 1))
one("dax_garch11", "garch(1,1)", dax, ~garch(1, 1))
one("dax_garch11_t", "garch(1,1,dist=t)", dax, ~garch(1, 1), cond.dist = "std")
one("dax_garch12", "garch(1,2)", dax, ~garch(1, 2))
one("dax_garch12_t", "garch(1,2,dist=t)", dax, ~garch(1, 2), cond.dist = "std")
one("dax_ar1_garch11", "garch(1,1,mean=arma(1,0))", dax, ~arma(1, 0) + garch(1, 1))
# GJR-GARCH as fGarch's APARCH with delta fixed at 2: alpha (|e| - gamma e)^2
# is GJR's alpha' e^2 + gamma' 1(e<0) e^2 with alpha' = alpha (1-gamma)^2,
# gamma' = 4 alpha gamma; only the log-likelihood is compared.  fGarch's default
# (Fortran) APARCH filter starts up differently from its garch one (0.0016
# lower here); its R filter, llh = "filter", uses the garch start-up.
one("dax_gjr11", "garch(1,1,type=gjr)", dax, ~aparch(1, 1), delta = 2, include.delta = FALSE,
    control = list(llh = "filter"))
one("dax_ma1_garch11", "garch(1,1,mean=arma(0,1))", dax, ~arma(0, 1) + garch(1, 1))
# With an ARMA mean and max(p,q) > P the Fortran filter also differs from the
# R filter (residuals zero before max(P,Q,p,q), the convention tsf follows).
one("dax_ar1_garch12", "garch(1,2,mean=arma(1,0))", dax, ~arma(1, 0) + garch(1, 2),
    control = list(llh = "filter"))
close(con)
cat("wrote", out, "\n")
