# R's side of bench/accuracy.sh: forecast::auto.arima, ets and thetaf (and
# the mean of their point forecasts) on the M1 series of one frequency,
# scored as tsf evaluate scores (docs/evaluate.md): sMAPE (M3 definition)
# and MASE (in-sample seasonal-naive scale, lag 1 when the training part
# is not longer than the period), averaged over series.
#   Rscript bench/accuracy.R TRAIN.csv TEST.csv PERIOD H "auto.arima ets thetaf"
# prints CSV lines: method,series,failed,smape,mase,seconds (seconds: the
# loop of fits and forecasts alone, one core).
suppressMessages(library(forecast))
a <- commandArgs(trailingOnly = TRUE)
train <- read.csv(a[1], stringsAsFactors = FALSE)
test <- read.csv(a[2], stringsAsFactors = FALSE)
m <- as.integer(a[3]); h <- as.integer(a[4])
methods <- strsplit(a[5], " ")[[1]]
ids <- unique(train$id)
xs <- lapply(ids, function(i) ts(train$value[train$id == i], frequency = m))
ys <- lapply(ids, function(i) test$value[test$id == i][1:h])
smape <- function(y, f) 200 / length(y) * sum(abs(y - f) / (abs(y) + abs(f)))
mase <- function(x, y, f) {
  k <- if (m > 1 && length(x) > m) m else 1
  mean(abs(y - f)) / mean(abs(diff(as.numeric(x), lag = k)))
}
fc <- list(); secs <- list()
for (meth in methods) {
  fun <- switch(meth,
    auto.arima = function(x) forecast(auto.arima(x), h = h)$mean,
    ets = function(x) forecast(ets(x), h = h)$mean,
    thetaf = function(x) thetaf(x, h = h)$mean)
  out <- vector("list", length(ids))
  t <- system.time(for (i in seq_along(ids))
    out[[i]] <- tryCatch(as.numeric(fun(xs[[i]])), error = function(e) NULL))[["elapsed"]]
  fc[[meth]] <- out
  secs[[meth]] <- t
}
score <- function(name, out, secs) {
  ok <- !vapply(out, is.null, TRUE)
  s <- mean(mapply(function(y, f) smape(y, f), ys[ok], out[ok]))
  q <- mean(mapply(function(x, y, f) mase(x, y, f), xs[ok], ys[ok], out[ok]))
  cat(sprintf("%s,%d,%d,%.6f,%.6f,%s\n", name, length(ids), sum(!ok), s, q, secs))
}
for (meth in methods) score(meth, fc[[meth]], sprintf("%.3f", secs[[meth]]))
# the mean of R's three point forecasts, for reference (no time of its own)
if (all(c("auto.arima", "ets", "thetaf") %in% methods)) {
  comb <- mapply(function(p, q, r) if (is.null(p) || is.null(q) || is.null(r)) NULL
                 else (p + q + r) / 3, fc$auto.arima, fc$ets, fc$thetaf, SIMPLIFY = FALSE)
  score("mean(auto.arima+ets+thetaf)", comb, "NA")
}
