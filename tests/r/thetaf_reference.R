# Reference values of forecast::thetaf (forecast 8.20, R 4.2) for
# tests/test_theta.c.  Regenerate with (from the repository root):
#   Rscript tests/r/thetaf_reference.R > tests/data/thetaf_reference.csv
# Every series is the R dataset of the same name shipped in datasets/.
suppressMessages(library(forecast))
series <- list(
  AirPassengers = AirPassengers, USAccDeaths = USAccDeaths, UKgas = UKgas,
  nottem = nottem, wineind = wineind, woolyrnq = woolyrnq, JohnsonJohnson = JohnsonJohnson,
  Nile = Nile, LakeHuron = LakeHuron, WWWusage = WWWusage, lynx = lynx, austres = austres,
  airmiles = airmiles, BJsales = BJsales)
h <- 12
cat("series,period,seasonal,alpha,sigma2,step,mean,lo80,hi80,lo95,hi95\n")
for (nm in names(series)) {
  x <- series[[nm]]
  f <- thetaf(x, h = h, level = c(80, 95))
  # thetaf does not return its seasonality decision: repeat its test
  m <- frequency(x); n <- length(x)
  seas <- FALSE
  if (m > 1 && !is.constant(x) && n > 2 * m) {
    r <- as.numeric(acf(x, lag.max = m, plot = FALSE)$acf)[-1]
    seas <- abs(r[m]) / sqrt((1 + 2 * sum(r[-m]^2)) / n) > qnorm(0.95)
  }
  for (i in 1:h)
    cat(sprintf("%s,%d,%d,%.10g,%.10g,%d,%.10g,%.10g,%.10g,%.10g,%.10g\n", nm, m, seas,
                f$model$alpha, f$model$sigma, i, f$mean[i], f$lower[i, 1], f$upper[i, 1],
                f$lower[i, 2], f$upper[i, 2]))
}
