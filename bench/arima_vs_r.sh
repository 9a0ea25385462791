#!/bin/sh
# tsf's ARIMA fit against R's stats::arima on three simulated series,
# timed in the same run on the same machine, in CPU seconds (user + system
# of R's system.time; the process CPU clock for tsf; best of REPS runs), so
# that other load on the machine does not distort the ratios.  Prints per-case seconds, the
# ratio R/tsf, both log-likelihoods (tsf's must not be worse than R's) and
# the geometric mean of the ratios.  Needs r-base-core and a built tree:
#   meson setup build && ninja -C build && bench/arima_vs_r.sh [build]
set -eu
BUILD=${1:-build}
# one BLAS thread for both programs: the matrices here are tiny and idle
# BLAS threads only burn CPU time
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
BENCH="$BUILD/arima_bench"
[ -x "$BENCH" ] || { echo "build first: ninja -C $BUILD (missing $BENCH)" >&2; exit 1; }
command -v Rscript >/dev/null || { echo "needs R: apt-get install r-base-core" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
REPS=${REPS:-5}

cat > "$TMP/gen.R" <<'REOF'
args <- commandArgs(TRUE); dir <- args[1]; reps <- as.integer(args[2])
set.seed(20240601)
s1 <- arima.sim(list(ar = c(0.5, -0.3), ma = c(0.4, 0.2)), n = 10000) + 10
s2 <- cumsum(arima.sim(list(ar = 0.6, ma = -0.3), n = 20000))
s3 <- ts(arima.sim(list(ar = 0.5, ma = 0.3), n = 3000), frequency = 12)
s3 <- ts(diffinv(s3, lag = 12)[-(1:12)] + 100, frequency = 12)
cases <- list(
  list(id = "arma22_n10000", x = s1, order = c(2, 0, 2), seas = c(0, 0, 0), period = 1,
       spec = "arima(2,0,2)"),
  list(id = "arima111_n20000", x = s2, order = c(1, 1, 1), seas = c(0, 0, 0), period = 1,
       spec = "arima(1,1,1)"),
  list(id = "sarima_101_011_12_n3000", x = s3, order = c(1, 0, 1), seas = c(0, 1, 1),
       period = 12, spec = "arima(1,0,1)(0,1,1)[12]"))
for (c in cases) {
  write.csv(data.frame(value = as.numeric(c$x)), file.path(dir, paste0(c$id, ".csv")),
            row.names = FALSE)
  best <- Inf
  for (r in seq_len(reps)) {
    tm <- system.time(f <- arima(c$x, order = c$order,
                                 seasonal = list(order = c$seas, period = c$period)))
    t <- tm[["user.self"]] + tm[["sys.self"]]
    best <- min(best, t)
  }
  cat(c$id, c$spec, c$period, best, sprintf("%.6f", f$loglik), "\n")
}
REOF
Rscript "$TMP/gen.R" "$TMP" "$REPS" > "$TMP/r.txt"
printf '%-26s %10s %10s %8s %16s %16s\n' case R_s tsf_s ratio R_loglik tsf_loglik
logsum=0
k=0
while read -r id spec period rsec rll; do
  out=$("$BENCH" "$spec" "$TMP/$id.csv" "$REPS" "$period")
  tsec=$(echo "$out" | awk '{print $2}')
  tll=$(echo "$out" | awk '{print $4}')
  ratio=$(awk -v a="$rsec" -v b="$tsec" 'BEGIN{printf "%.1f", a/b}')
  worse=$(awk -v a="$rll" -v b="$tll" 'BEGIN{print (b < a - 1e-3) ? "  (tsf loglik WORSE)" : ""}')
  printf '%-26s %10.4f %10.4f %8s %16s %16s%s\n' "$id" "$rsec" "$tsec" "$ratio" "$rll" "$tll" "$worse"
  logsum=$(awk -v s="$logsum" -v a="$rsec" -v b="$tsec" 'BEGIN{print s + log(a/b)}')
  k=$((k + 1))
done < "$TMP/r.txt"
awk -v s="$logsum" -v k="$k" 'BEGIN{printf "geometric mean of R/tsf: %.1fx\n", exp(s/k)}'
