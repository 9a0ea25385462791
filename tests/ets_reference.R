# Reference values for the ETS tests (tests/test_ets_ref.c): forecast::ets
# (forecast 8.20, R 4.2) with its defaults on series shipped in datasets/,
# automatic selection ("ZZZ") and fixed models covering every component
# type.  Writes tests/data/ets_ref.json.  Run from the project root:
#   Rscript tests/ets_reference.R
# R's ets reports loglik = -0.5 * (n log(SSE) + 2 sum log|mu_t|) (sum of
# squared relative errors for multiplicative error), without the Gaussian
# constants; the test converts it to the exact log-likelihood
# loglik + n/2 (log n - log(2 pi) - 1).  se is the forecast standard error,
# (upper 95% - mean) / qnorm(0.975), for the models with analytic intervals.
suppressMessages(library(forecast))
library(jsonlite)

freq <- c(AirPassengers = 12, co2 = 12, UKgas = 4, USAccDeaths = 12, wineind = 12,
          WWWusage = 1, austres = 4, JohnsonJohnson = 4, nottem = 12, ldeaths = 12,
          lynx = 1, Nile = 1, LakeHuron = 1, gas = 12, woolyrnq = 4, BJsales = 1,
          airmiles = 1, sunspot_year = 1, discoveries = 1, lh = 1)
fixed <- list(c("Nile", "ANN"), c("Nile", "MNN"), c("WWWusage", "AAdN"),
              c("WWWusage", "MAdN"), c("austres", "AAN"), c("austres", "MAN"),
              c("LakeHuron", "AAdN"), c("AirPassengers", "MAM"), c("AirPassengers", "MAdM"),
              c("AirPassengers", "MNM"), c("co2", "AAA"), c("co2", "AAdA"), c("co2", "ANA"),
              c("co2", "MAA"), c("UKgas", "MAdA"), c("UKgas", "MNA"), c("USAccDeaths", "AAA"),
              c("JohnsonJohnson", "MAM"), c("ldeaths", "MNM"), c("nottem", "ANA"),
              c("wineind", "MNM"), c("woolyrnq", "MNA"), c("lynx", "MNN"),
              c("AirPassengers", "AAM"))

load_series <- function(name) {
  d <- read.csv(sprintf("datasets/%s.csv", name))
  ts(d$value, frequency = freq[[name]])
}

one <- function(name, code) {
  y <- load_series(name)
  damped <- NULL
  model <- "ZZZ"
  spec <- "ets"
  if (!is.null(code)) {
    spec <- sprintf("ets(%s)", code)
    damped <- grepl("d", code)
    model <- gsub("d", "", code)
  }
  # additive error with multiplicative season is forbidden by restrict = TRUE
  restrict <- !(substr(model, 1, 1) == "A" && substr(model, 3, 3) == "M")
  fit <- ets(y, model = model, damped = damped, restrict = restrict)
  h <- if (frequency(y) > 1) 2 * frequency(y) else 10
  fc <- forecast(fit, h = h, level = c(80, 95))
  analytic <- restrict
  list(id = paste(name, spec), data = name, spec = spec, period = frequency(y),
       method = fit$method, loglik = fit$loglik, aicc = fit$aicc, aic = fit$aic,
       nobs = sum(!is.na(y)), npar = length(fit$par), sigma2 = fit$sigma2,
       par = as.list(fit$par), mean = as.numeric(fc$mean),
       se = if (analytic) as.numeric((fc$upper[, 2] - fc$mean) / qnorm(0.975)) else NULL,
       lower80 = as.numeric(fc$lower[, 1]), upper80 = as.numeric(fc$upper[, 1]),
       analytic = analytic)
}

cases <- list()
for (name in names(freq)) cases[[length(cases) + 1]] <- one(name, NULL)
for (f in fixed) cases[[length(cases) + 1]] <- one(f[1], f[2])
writeLines(toJSON(list(generator = "tests/ets_reference.R", forecast = as.character(packageVersion("forecast")),
                       cases = cases), auto_unbox = TRUE, digits = 15, pretty = TRUE, null = "null"),
           "tests/data/ets_ref.json")
