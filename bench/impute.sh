#!/bin/sh
# Imputation and smoothing against R, in one run (issue 17):
#  1. Accuracy: on real series shipped in datasets/ (AirPassengers, Nile,
#     LakeHuron, USAccDeaths, nottem, lh, UKgas), 10% of the values removed
#     (a) at random and (b) in blocks of 12, SEEDS draws of the gaps each
#     (default 10: one draw removes 5-24 values, too few to rank methods);
#     the mean over the draws of the RMSE over the removed values of `tsf impute -m auto` against R's
#     forecast::na.interp and linear interpolation (approx, constant
#     beyond the ends), and the coverage of tsf's 95% intervals.
#  2. Speed: Kalman smoothing of a simulated ARIMA(2,1,1), n = 100000 with
#     1% missing: tsf_smooth (bench/smooth_bench.c, CPU seconds, best of
#     REPS, default 5) against R's KalmanSmooth on makeARIMA with tsf's fitted
#     coefficients (system.time user+system, best of REPS); the first
#     smoothed means of both are printed to show they agree.
# OPENBLAS and OMP threads are 1 for both programs.  PARTS (default 123)
# picks the parts to run, e.g. PARTS=2 REPS=20 bench/impute.sh for the
# speed part alone.  Needs r-base-core and r-cran-forecast, and a built
# tree:
#   meson setup build && ninja -C build && bench/impute.sh [build]
set -eu
BUILD=${1:-build}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
TSF="$(cd "$BUILD" && pwd)/tsf"
SB="$(cd "$BUILD" && pwd)/smooth_bench"
[ -x "$TSF" ] && [ -x "$SB" ] || { echo "build first: ninja -C $BUILD" >&2; exit 1; }
command -v Rscript >/dev/null || { echo "needs R: apt-get install r-base-core r-cran-forecast" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
REPS=${REPS:-5}
SEEDS=${SEEDS:-10}
PARTS=${PARTS:-123}
part() { case "$PARTS" in *"$1"*) return 0 ;; esac; return 1; }
DATA=$(cd "$(dirname "$0")/../datasets" && pwd)

if part 1; then
echo "== 1. accuracy: RMSE of the removed values (lower is better), mean over $SEEDS draws of the gaps =="
Rscript - "$TSF" "$DATA" "$TMP" "$SEEDS" <<'REOF'
suppressMessages(library(forecast))
a <- commandArgs(TRUE); tsf <- a[1]; data <- a[2]; tmp <- a[3]; nseed <- as.integer(a[4])
freq_of <- function(tm) {
  if (all(grepl("^[0-9]{4}-[0-9]{2}$", tm))) 12 else if (all(grepl("^[0-9]{4}-Q[1-4]$", tm))) 4 else 1
}
series <- c("AirPassengers", "Nile", "LakeHuron", "USAccDeaths", "nottem", "lh", "UKgas")
rmse <- function(a, b) sqrt(mean((a - b)^2))
# a tie (e.g. an ARIMA(0,1,0), whose smoother is linear interpolation) is no win
judge <- function(e) if (e[1] < min(e[2:3]) * (1 - 1e-9)) "tsf" else
  if (e[1] <= min(e[2:3]) * (1 + 1e-9)) "tie" else c("na.interp", "linear")[which.min(e[2:3])]
cat(sprintf("%-14s %-7s %4s %10s %10s %10s %8s %7s %9s\n", "series", "gaps", "n_rm", "tsf", "na.interp",
            "linear", "cover95", "best", "tsf_wins"))
wins <- 0; ties <- 0; total <- 0; cov_all <- c(); sw <- 0; sties <- 0; draws <- 0; dwins <- 0
for (s in series) {
  d <- read.csv(file.path(data, paste0(s, ".csv")), stringsAsFactors = FALSE)
  y <- as.numeric(d$value); n <- length(y)
  fr <- if ("time" %in% names(d)) freq_of(d$time) else 1
  es <- matrix(0, 2, 3)
  for (si in 1:2) {
    scheme <- c("random", "block12")[si]
    E <- matrix(NA, nseed, 3); nrm <- 0; dw <- 0
    for (seed in seq_len(nseed)) {
      set.seed(16 + seed)
      if (scheme == "random") {
        rm <- sort(sample(2:(n - 1), round(0.1 * n)))
      } else {
        nb <- max(1, round(0.1 * n / 12)); rm <- c()
        while (length(rm) < nb * 12) {
          s0 <- sample(2:(n - 12), 1); b <- s0:(s0 + 11)
          if (!any(b %in% rm) && !any((b - 1) %in% rm) && !any((b + 1) %in% rm)) rm <- c(rm, b)
        }
        rm <- sort(rm)
      }
      g <- d; g$value[rm] <- NA
      f <- file.path(tmp, paste0(s, "_", scheme, ".csv"))
      write.csv(g, f, row.names = FALSE, na = "NA")
      out <- file.path(tmp, "out.csv")
      rc <- system2(tsf, c("impute", "-m", "auto", "-o", out, f), stdout = FALSE, stderr = FALSE)
      if (rc != 0) { cat(s, scheme, "seed", seed, "tsf failed\n"); next }
      o <- read.csv(out)
      yt <- ts(g$value, frequency = fr)
      ni <- as.numeric(na.interp(yt))
      li <- approx(seq_len(n), g$value, xout = seq_len(n), rule = 2)$y
      E[seed, ] <- c(rmse(o$value[rm], y[rm]), rmse(ni[rm], y[rm]), rmse(li[rm], y[rm]))
      cov_all <- c(cov_all, y[rm] >= o$lo95[rm] & y[rm] <= o$hi95[rm])
      nrm <- length(rm); dw <- dw + (judge(E[seed, ]) == "tsf"); draws <- draws + 1
    }
    dwins <- dwins + dw
    e <- colMeans(E, na.rm = TRUE); es[si, ] <- e
    best <- judge(e)
    wins <- wins + (best == "tsf"); ties <- ties + (best == "tie"); total <- total + 1
    cover <- mean(tail(cov_all, nseed * nrm))
    cat(sprintf("%-14s %-7s %4d %10.4g %10.4g %10.4g %7.1f%% %7s %6d/%d\n", s, scheme, nrm,
                e[1], e[2], e[3], 100 * cover, best, dw, nseed))
  }
  sb <- judge(colMeans(es / es[, 1]))  # both schemes, each relative to tsf's error
  sw <- sw + (sb == "tsf"); sties <- sties + (sb == "tie")
}
cat(sprintf("tsf lowest mean RMSE in %d of %d series x gap cases (%d ties); lowest in %d of %d single draws\n",
            wins, total, ties, dwins, draws))
cat(sprintf("per series (both gap kinds, errors relative to tsf's): tsf lowest on %d of %d series (%d ties)\n",
            sw, length(series), sties))
cat(sprintf("coverage of tsf's 95%% intervals over all removed values: %.1f%%\n", 100 * mean(cov_all)))
REOF
echo
fi

if part 2; then
echo "== 2. speed: smoothing an ARIMA(2,1,1), n = 100000 =="
Rscript -e 'set.seed(1); n <- 100000
  y <- arima.sim(list(order = c(2,1,1), ar = c(0.5, -0.3), ma = 0.4), n = n - 1)
  y <- as.numeric(y); y[sample(n, n / 100)] <- NA
  write.csv(data.frame(value = y), commandArgs(TRUE)[1], row.names = FALSE, na = "NA")' \
  "$TMP/big.csv"
"$SB" "arima(2,1,1)" "$TMP/big.csv" "$REPS" > "$TMP/sb.txt"
Rscript - "$TMP/big.csv" "$TMP/sb.txt" "$REPS" <<'REOF'
a <- commandArgs(TRUE)
y <- read.csv(a[1])$value
sb <- readLines(a[2])
kv <- strsplit(sub("^coef ", "", grep("^coef", sb, value = TRUE)), " ")[[1]]
cf <- setNames(as.numeric(kv[c(FALSE, TRUE)]), kv[c(TRUE, FALSE)])
tsf_s <- as.numeric(sub("seconds ", "", grep("^seconds", sb, value = TRUE)))
mod <- makeARIMA(cf[c("ar1", "ar2")], cf["ma1"], Delta = 1, kappa = 1e6)
best <- Inf
for (r in seq_len(as.integer(a[3]))) {
  tm <- system.time(ks <- KalmanSmooth(y, mod))
  best <- min(best, tm[["user.self"]] + tm[["sys.child"]] + tm[["sys.self"]])
}
ym <- as.vector(ks$smooth %*% mod$Z)
cat("first missing rows: t, tsf smoothed mean, R KalmanSmooth\n")
for (l in grep("^mean", sb, value = TRUE)) {
  p <- strsplit(l, " ")[[1]]; t <- as.integer(p[2])
  cat(sprintf("  %6d %16.8f %16.8f\n", t, as.numeric(p[3]), ym[t]))
}
tsf_first <- as.numeric(sub("first ", "", grep("^first", sb, value = TRUE)))
cat(sprintf("tsf_smooth %.2f ms, R KalmanSmooth %.1f ms: R/tsf = %.1fx (best of %s each)\n", 1e3 * tsf_s,
            1e3 * best, best / tsf_s, a[3]))
cat(sprintf("tsf_smooth's first call in the process (page faults on its fresh result memory): %.4f s\n",
            tsf_first))
REOF
echo
fi

if part 3; then
echo "== 3. parallel vs ancestral sampling =="
echo "bench/sampler.sh (fits transformer and wavenet models first; docs/neural.md, Sampling)"
fi
