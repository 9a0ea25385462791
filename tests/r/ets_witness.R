# Witnesses for tests/test_ets_ref.c: where tsf's automatic ETS choice is
# not forecast::ets's (forecast 8.20, R 4.2), R's own code judges tsf's
# choice.  For each such series this script takes the parameters and
# initial states tsf estimated for its chosen model (`tsf fit -m ets
# --json`), evaluates at them R's likelihood (forecast:::pegelsresid.C) and
# R's parameter check (forecast:::check.param, bounds = "both": usual and
# admissible), and computes R's AICc there with R's parameter count.  The
# test then asserts that this point is admissible for R, that R's AICc at
# it is below the AICc of the model R chose (so R's choice is not the AICc
# minimum by R's own criterion: R's optimiser stopped short on tsf's
# model), that tsf's likelihood at the point equals R's, and that tsf's fit
# reaches at least that likelihood.
#   Rscript tests/r/ets_witness.R build/tsf      (from the project root)
# writes tests/data/ets_witness.json.  Log-likelihoods and AICcs are exact
# (the data's units): R's loglik + n/2 (log n - log 2 pi - 1).
suppressMessages(library(forecast))
library(jsonlite)
args <- commandArgs(TRUE)
tsf <- if (length(args)) args[1] else "build/tsf"
ref <- fromJSON("tests/data/ets_ref.json", simplifyVector = FALSE)
out <- list()
for (c in ref$cases) {
  if (c$spec != "ets") next
  m <- c$period
  d <- read.csv(sprintf("datasets/%s.csv", c$data))
  y <- ts(d$value, frequency = m)
  n <- length(y)
  j <- fromJSON(system2(tsf, c("fit", "-m", "ets", "--period", m, "--json",
                               sprintf("datasets/%s.csv", c$data)), stdout = TRUE))
  if (j$model == c$method) next
  code <- gsub("[ETS(),]", "", j$model)       # "MAdM" -> "MAdM"
  e <- substr(code, 1, 1)
  damped <- grepl("Ad", code)
  t <- substr(code, 2, 2)
  s <- substr(code, nchar(code), nchar(code))
  cf <- j$coef
  st <- c(cf$l, if (t != "N") cf$b)
  if (s != "N") st <- c(st, unlist(cf[sprintf("s%d", 0:(m - 1))]))
  beta <- if (t != "N") cf$beta else NULL
  gamma <- if (s != "N") cf$gamma else NULL
  phi <- if (damped) cf$phi else NULL
  r <- forecast:::pegelsresid.C(y, m, st, e, t, s, damped, cf$alpha, beta, gamma, phi, 3)
  ok <- forecast:::check.param(cf$alpha, beta, gamma, phi, c(1e-4, 1e-4, 1e-4, 0.8),
                               c(0.9999, 0.9999, 0.9999, 0.98), "both", m)
  konst <- 0.5 * n * (log(n) - log(2 * pi) - 1)
  ll <- -0.5 * r$lik + konst
  # R's count: smoothing parameters, initial states less the normalised
  # season, and sigma^2 (the same as c$npar + 1 for R's own fits)
  k <- 1 + (t != "N") + (s != "N") + damped + 1 + (t != "N") + (if (s != "N") m - 1 else 0) + 1
  aicc <- -2 * ll + 2 * k + 2 * k * (k + 1) / (n - k - 1)
  rll <- c$loglik + konst
  k0 <- c$npar + 1
  raicc <- -2 * rll + 2 * k0 + 2 * k0 * (k0 + 1) / (n - k0 - 1)
  par <- list(alpha = cf$alpha)
  if (t != "N") par$beta <- cf$beta
  if (s != "N") par$gamma <- cf$gamma
  if (damped) par$phi <- cf$phi
  par$l <- cf$l
  if (t != "N") par$b <- cf$b
  if (s != "N") for (i in 0:(m - 2)) par[[sprintf("s%d", i)]] <- cf[[sprintf("s%d", i)]]
  out[[length(out) + 1]] <- list(id = c$id, data = c$data, period = m, method = j$model,
    par = par, r_loglik = ll, r_aicc = aicc, r_admissible = isTRUE(ok == 1),
    r_choice = c$method, r_choice_aicc = raicc)
  cat(sprintf("%-18s tsf %-12s R's loglik there %.4f, AICc %.3f, admissible %s; R's choice %s AICc %.3f\n",
              c$id, j$model, ll, aicc, ok, c$method, raicc))
}
writeLines(toJSON(list(generator = "tests/r/ets_witness.R (forecast 8.20, R 4.2)", witnesses = out),
                  auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/data/ets_witness.json")
