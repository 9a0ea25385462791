# Diagnostic (not a test input): every candidate of forecast::ets (forecast 8.20
# defaults) fitted alone on the reference series, exact log-likelihood (the
# data's units, as tsf reports it), AICc and smoothing parameters.  The
# numbers behind docs/models.md "ETS: where the choice differs from R's".
#   Rscript tests/r/ets_candidates.R [SERIES...]     (from the project root)
suppressMessages(library(forecast))
freq <- c(AirPassengers = 12, co2 = 12, UKgas = 4, USAccDeaths = 12, wineind = 12,
          WWWusage = 1, austres = 4, JohnsonJohnson = 4, nottem = 12, ldeaths = 12,
          lynx = 1, Nile = 1, LakeHuron = 1, gas = 12, woolyrnq = 4, BJsales = 1,
          airmiles = 1, sunspot_year = 1, discoveries = 1, lh = 1)
args <- commandArgs(TRUE)
names_ <- if (length(args)) args else names(freq)
for (name in names_) {
  d <- read.csv(sprintf("datasets/%s.csv", name)); y <- ts(d$value, frequency = freq[[name]])
  n <- length(y)
  auto <- ets(y)
  cat(name, "auto", auto$method, "\n")
  for (e in c("A","M")) for (t in c("N","A","Ad")) for (s in c("N","A","M")) {
    if (e == "A" && s == "M") next
    if (s != "N" && frequency(y) == 1) next
    code <- paste0(e, substr(t,1,1), s)
    fit <- tryCatch(ets(y, model = code, damped = (t == "Ad")), error = function(err) NULL)
    if (is.null(fit)) { cat(sprintf("  %-12s failed\n", paste0(e,t,s))); next }
    ll <- fit$loglik + 0.5 * n * (log(n) - log(2*pi) - 1)
    cat(sprintf("  %-12s ll %12.4f aicc %12.4f  %s\n", fit$method, ll, fit$aicc - 2*(ll - fit$loglik),
                paste(sprintf("%.4g", fit$par[intersect(c("alpha","beta","gamma","phi"), names(fit$par))]), collapse=" ")))
  }
}
