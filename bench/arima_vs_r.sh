#!/bin/sh
# tsf against R on the same machine in the same run (issue 3's targets):
#  1. ARIMA fits: R's stats::arima vs tsf on three simulated series
#     (ARMA(2,2) n=10000, ARIMA(1,1,1) n=20000, SARIMA(1,0,1)(0,1,1)[12]
#     n=3000): in-process time (R's system.time(arima(...)), user + system;
#     tsf's fit_seconds from `tsf fit --json`; best of REPS), and the
#     whole-process wall time of one fit (Rscript -e reading the CSV and
#     fitting once; the tsf CLI reading, fitting, printing) beside it.
#  2. auto: forecast::auto.arima vs `tsf fit -m auto` on AirPassengers,
#     co2 (468 months), wineind and a simulated seasonal series (n=600),
#     same timings.
# Prints each ratio R/tsf, both log-likelihoods (flagged when tsf's is
# worse by more than 1e-3; for auto also the AICc and orders) and the
# geometric mean of the in-process ratios per part.  OPENBLAS and OMP
# threads are 1 for both programs.  The machine may be shared: all times
# are best of REPS.  Needs r-base-core (forecast for part 2) and a built tree:
#   meson setup build && ninja -C build && bench/arima_vs_r.sh [build]
set -eu
BUILD=${1:-build}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
TSF="$BUILD/tsf"
[ -x "$TSF" ] || { echo "build first: ninja -C $BUILD (missing $TSF)" >&2; exit 1; }
command -v Rscript >/dev/null || { echo "needs R: apt-get install r-base-core" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
REPS=${REPS:-5}
DATA=$(dirname "$0")/../datasets

now() { date +%s.%N; }
# best fit_seconds and loglik (and orders) of `tsf fit --json` over REPS runs
tsf_best() { # spec file period -> "fit_s loglik aicc order wall_s"
    best=""; wbest=""
    for r in $(seq "$REPS"); do
        t0=$(now)
        "$TSF" fit -m "$1" --period "$3" --json "$2" > "$TMP/out.json"
        t1=$(now)
        python3 - "$TMP/out.json" "$t0" "$t1" >> "$TMP/tsf_runs.txt" <<'PEOF'
import json, sys
j = json.load(open(sys.argv[1]))
o = j.get("order", [0, 0, 0]); s = j.get("seasonal", [0, 0, 0])
print(j["fit_seconds"], j["loglik"], j.get("aicc", "nan"),
      "(%d,%d,%d)(%d,%d,%d)" % (o[0], o[1], o[2], s[0], s[1], s[2]),
      float(sys.argv[3]) - float(sys.argv[2]))
PEOF
    done
    sort -g "$TMP/tsf_runs.txt" | head -1 | cut -d' ' -f1-4 | tr '\n' ' '
    sort -g -k5 "$TMP/tsf_runs.txt" | head -1 | cut -d' ' -f5
    rm -f "$TMP/tsf_runs.txt"
}

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
  f <- file.path(dir, paste0(c$id, ".csv"))
  write.csv(data.frame(value = as.numeric(c$x)), f, row.names = FALSE)
  best <- Inf
  for (r in seq_len(reps)) {
    tm <- system.time(fit <- arima(c$x, order = c$order,
                                   seasonal = list(order = c$seas, period = c$period)))
    best <- min(best, tm[["user.self"]] + tm[["sys.self"]])
  }
  # one whole process: Rscript -e reading the CSV and fitting once
  cmd <- sprintf("x <- ts(read.csv('%s')$value, frequency = %d); f <- arima(x, order = c(%s), seasonal = list(order = c(%s), period = %d))",
                 f, c$period, paste(c$order, collapse = ","), paste(c$seas, collapse = ","), c$period)
  wall <- Inf
  for (r in seq_len(min(reps, 3)))
    wall <- min(wall, system.time(system2("Rscript", c("-e", shQuote(cmd))))[["elapsed"]])
  cat(c$id, c$spec, c$period, best, sprintf("%.6f", fit$loglik), wall, "\n")
}
REOF
Rscript "$TMP/gen.R" "$TMP" "$REPS" > "$TMP/r.txt"
echo "== ARIMA fits: stats::arima vs tsf (in-process best of $REPS; whole-process wall beside)"
printf '%-24s %8s %8s %7s %16s %16s %8s %8s %7s\n' case R_s tsf_s ratio R_loglik tsf_loglik R_wall tsf_wall ratio
logsum=0; k=0
while read -r id spec period rsec rll rwall; do
    set -- $(tsf_best "$spec" "$TMP/$id.csv" "$period")
    tsec=$1; tll=$2; twall=$5
    ratio=$(awk -v a="$rsec" -v b="$tsec" 'BEGIN{printf "%.1f", a/b}')
    wratio=$(awk -v a="$rwall" -v b="$twall" 'BEGIN{printf "%.1f", a/b}')
    worse=$(awk -v a="$rll" -v b="$tll" 'BEGIN{print (b < a - 1e-3) ? "  (tsf loglik WORSE)" : ""}')
    printf '%-24s %8.4f %8.4f %7s %16s %16.6f %8.3f %8.3f %7s%s\n' "$id" "$rsec" "$tsec" "$ratio" \
        "$rll" "$tll" "$rwall" "$twall" "$wratio" "$worse"
    logsum=$(awk -v s="$logsum" -v a="$rsec" -v b="$tsec" 'BEGIN{print s + log(a/b)}')
    k=$((k + 1))
done < "$TMP/r.txt"
awk -v s="$logsum" -v k="$k" 'BEGIN{printf "geometric mean of R/tsf (in-process): %.1fx (target 20x)\n", exp(s/k)}'

# ---- auto ----
if ! Rscript -e 'quit(status = !requireNamespace("forecast", quietly = TRUE))' >/dev/null 2>&1; then
    echo "forecast not installed: auto part skipped"; exit 0
fi
for d in AirPassengers co2 wineind; do
    cp "$DATA/$d.csv" "$TMP/auto_$d.csv"
done
cat > "$TMP/auto.R" <<'REOF'
suppressMessages(library(forecast))
args <- commandArgs(TRUE); dir <- args[1]; reps <- as.integer(args[2])
set.seed(20240602)
# a long seasonal monthly series: SARIMA(1,0,1)(0,1,1)[12] plus trend, n = 600
e <- arima.sim(list(ar = 0.6, ma = -0.3), n = 600)
x <- ts(diffinv(e, lag = 12)[-(1:12)] + 0.05 * (1:600) + 200, frequency = 12)
write.csv(data.frame(value = as.numeric(x)), file.path(dir, "auto_sim600.csv"), row.names = FALSE)
for (d in c("AirPassengers", "co2", "wineind", "sim600")) {
  f <- file.path(dir, paste0("auto_", d, ".csv"))
  y <- ts(read.csv(f)$value, frequency = 12)
  best <- Inf
  for (r in seq_len(reps)) {
    tm <- system.time(fit <- auto.arima(y))
    best <- min(best, tm[["user.self"]] + tm[["sys.self"]])
  }
  cmd <- sprintf("suppressMessages(library(forecast)); f <- auto.arima(ts(read.csv('%s')$value, frequency = 12))", f)
  wall <- system.time(system2("Rscript", c("-e", shQuote(cmd))))[["elapsed"]]
  o <- arimaorder(fit)
  ord <- if (length(o) >= 6) sprintf("(%d,%d,%d)(%d,%d,%d)", o[1], o[2], o[3], o[4], o[5], o[6])
         else sprintf("(%d,%d,%d)(0,0,0)", o[1], o[2], o[3])
  cat(d, best, sprintf("%.6f", fit$loglik), sprintf("%.4f", fit$aicc), ord, wall, "\n")
}
REOF
Rscript "$TMP/auto.R" "$TMP" "$REPS" > "$TMP/ra.txt"
echo
echo "== auto: forecast::auto.arima vs tsf fit -m auto (one thread; in-process best of $REPS; whole-process wall beside)"
printf '%-14s %7s %7s %6s %12s %12s %18s %18s %7s %7s %6s\n' series R_s tsf_s ratio R_aicc tsf_aicc R_order tsf_order R_wall tsf_wall ratio
logsum=0; k=0
while read -r d rsec rll raicc rord rwall; do
    set -- $(tsf_best auto "$TMP/auto_$d.csv" 12)
    tsec=$1; tll=$2; taicc=$3; tord=$4; twall=$5
    ratio=$(awk -v a="$rsec" -v b="$tsec" 'BEGIN{printf "%.1f", a/b}')
    wratio=$(awk -v a="$rwall" -v b="$twall" 'BEGIN{printf "%.1f", a/b}')
    flag=$(awk -v a="$raicc" -v b="$taicc" -v o1="$rord" -v o2="$tord" -v la="$rll" -v lb="$tll" \
        'BEGIN{f=""; if (b > a + 1e-3) f=f "  (tsf AICc WORSE)"; if (o1 == o2 && lb < la - 1e-3) f=f "  (tsf loglik WORSE)"; print f}')
    printf '%-14s %7.3f %7.3f %6s %12.3f %12.3f %18s %18s %7.2f %7.2f %6s%s\n' "$d" "$rsec" "$tsec" "$ratio" \
        "$raicc" "$taicc" "$rord" "$tord" "$rwall" "$twall" "$wratio" "$flag"
    logsum=$(awk -v s="$logsum" -v a="$rsec" -v b="$tsec" 'BEGIN{print s + log(a/b)}')
    k=$((k + 1))
done < "$TMP/ra.txt"
awk -v s="$logsum" -v k="$k" 'BEGIN{printf "geometric mean of R/tsf (in-process): %.1fx (target 10x per series)\n", exp(s/k)}'
