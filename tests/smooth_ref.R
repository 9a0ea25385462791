# Reference values for tests/test_smooth.c: R's KalmanSmooth on the model
# makeARIMA builds from an arima() fit's coefficients (the fit's own $model
# holds the state at the end of the series, not the start), kappa = 1e6 as
# arima() uses.  Run from the repository root:
#   Rscript tests/smooth_ref.R > tests/data/smooth_ref.txt
# Per case: name p q nd n sigma2, phi, theta, Delta, then per observation
# x_t (NA when missing), the smoothed mean of x_t and its variance relative
# to sigma2 (Z' V_t Z), where x = y minus the regression part.
rd <- function(f) { d <- read.csv(f); as.numeric(d$value) }
out <- function(name, y, fit, xreg = NULL) {
  m <- fit$model
  x <- y
  if ("intercept" %in% names(fit$coef)) x <- x - fit$coef[["intercept"]]
  mod <- makeARIMA(m$phi, m$theta, m$Delta, kappa = 1e6)
  ks <- KalmanSmooth(x, mod)
  Z <- mod$Z
  ym <- as.vector(ks$smooth %*% Z)
  yv <- apply(ks$var, 1, function(V) drop(t(Z) %*% V %*% Z))
  cat(name, length(m$phi), length(m$theta), length(m$Delta), length(x),
      sprintf("%.17g", fit$sigma2), "\n")
  cat(sprintf("%.17g", c(m$phi, m$theta, m$Delta)), "\n")
  for (t in seq_along(x))
    cat(ifelse(is.na(x[t]), "NA", sprintf("%.17g", x[t])),
        sprintf("%.17g", ym[t]), sprintf("%.17g", yv[t]), "\n")
}
pres <- rd("datasets/presidents.csv")
out("presidents_ar1", pres, arima(pres, c(1, 0, 0)))
gold <- rd("datasets/gold.csv")[1:300]
out("gold_arima111", gold, arima(gold, c(1, 1, 1)))
ap <- log(rd("datasets/AirPassengers.csv"))
ap[c(1, 2, 30:41, 100, 143, 144)] <- NA
out("airpass_airline", ap, arima(ap, c(0, 1, 1), seasonal = list(order = c(0, 1, 1), period = 12)))
nile <- rd("datasets/Nile.csv")
nile[c(1, 20:30, 99, 100)] <- NA
out("nile_arima210", nile, arima(nile, c(2, 1, 0)))
