# Reference values for the Fourier regressors (tests/cli_test.py, "fourier"),
# from R 4.2 with forecast 8.20.  Regenerate with
#   Rscript tests/r/xreg_reference.R > tests/data/xreg/fourier_ref.json
suppressMessages(library(forecast))
library(jsonlite)
x <- USAccDeaths                       # datasets/USAccDeaths.csv, monthly
f2 <- fourier(x, K = 2)
f6 <- fourier(x, K = 6)                # K = P/2: the sine S6-12 is left out
fut <- fourier(x, K = 2, h = 5)
fit <- Arima(x, order = c(1, 0, 1), xreg = f2)
au <- auto.arima(x, xreg = f2)
au_ns <- auto.arima(x, xreg = f2, seasonal = FALSE)
fc <- forecast(fit, xreg = fut)
cat(toJSON(list(
  f2 = list(names = colnames(f2), values = unname(as.matrix(f2))),
  f6_names = colnames(f6), f6 = unname(as.matrix(f6)),
  future = list(names = colnames(fut), values = unname(as.matrix(fut))),
  arima = list(coef = as.list(coef(fit)), loglik = fit$loglik, mean = as.numeric(fc$mean)),
  auto = list(order = arimaorder(au), coef = as.list(coef(au)), loglik = au$loglik),
  auto_nonseasonal = list(order = arimaorder(au_ns), coef = as.list(coef(au_ns)),
                          loglik = au_ns$loglik)
), digits = NA, auto_unbox = TRUE))
cat("\n")
