# Reference values for regressors that are constant or collinear in the
# training rows (tests/collinear_test.py).  R's arima/Arima fail on such a
# column ("non-finite value supplied by optim"); tsf leaves it out, as
# lm() does (NA coefficient), so its fit must equal R's fit without it.
# Run from the source root:  Rscript tests/r/collinear_reference.R
# Writes tests/data/xreg/collinear_ref.json.
library(forecast)
d <- read.csv("datasets/Seatbelts.csv")
n <- 168                       # law is 0 in all of these rows
y <- ts(d$drivers[1:n], frequency = 12)
pp <- d$PetrolPrice[1:n]
out <- list()
# the constant column fails in R, the column alone is the reference
stopifnot(inherits(try(Arima(y, c(1, 0, 0), xreg = cbind(pp, law = d$law[1:n])),
                       silent = TRUE), "try-error"))
f1 <- Arima(y, c(1, 0, 0), xreg = cbind(PetrolPrice = pp), method = "ML")
out$ar1 <- list(loglik = f1$loglik, coef = as.list(coef(f1)))
# differenced: law - law[t-1] = 0, and 2 PetrolPrice + 1 differences to
# 2 dPetrolPrice, a multiple of dPetrolPrice
f2 <- Arima(y, c(0, 1, 1), xreg = cbind(PetrolPrice = pp), method = "ML")
out$ima <- list(loglik = f2$loglik, coef = as.list(coef(f2)))
# lm's own rule on the same columns: NA for the aliased ones
l <- lm(d$drivers[1:n] ~ pp + I(2 * pp + 1) + d$law[1:n])
out$lm_na <- unname(is.na(coef(l)))
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = 12, pretty = TRUE),
    file = "tests/data/xreg/collinear_ref.json")
