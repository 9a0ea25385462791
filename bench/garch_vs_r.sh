#!/bin/sh
# tsf against R's fGarch on the same machine in the same run (issue 18):
# fit time of GARCH(1,1), t-GARCH(1,1) and ARMA(1,0)-GARCH(1,1) on 2000 and
# 20000 returns simulated by fGarch::garchSim (t-GARCH(1,1) with an AR(1)
# mean), in-process CPU time for both, best of REPS: R's
# system.time(garchFit(...)) (user + system) and the process CPU clock
# around tsf_fit in build/garch_bench (the machine may be shared: CPU time
# is what neither side's waiting for a core inflates).
# Prints the ratio R/tsf, both log-likelihoods (fGarch's is -@fit$llh;
# FLAG when tsf's is lower by more than 1e-3) and the geometric mean of the
# ratios; then the streaming update rate of a fitted state
# (build/garch_bench).  OPENBLAS and OMP threads are 1 for both programs.
# Needs r-cran-fgarch and a built tree:
#   meson setup build && ninja -C build && bench/garch_vs_r.sh [build]
set -eu
BUILD=${1:-build}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
TSF="$BUILD/tsf"
[ -x "$TSF" ] && [ -x "$BUILD/garch_bench" ] || { echo "build first: ninja -C $BUILD" >&2; exit 1; }
Rscript -e 'suppressPackageStartupMessages(library(fGarch))' 2>/dev/null ||
    { echo "needs R's fGarch: apt-get install r-cran-fgarch" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
REPS=${REPS:-3}

cat > "$TMP/r.R" <<'REOF'
suppressPackageStartupMessages(library(fGarch))
args <- commandArgs(TRUE); dir <- args[1]; reps <- as.integer(args[2])
spec <- garchSpec(model = list(mu = 0.05, ar = 0.1, omega = 0.02, alpha = 0.08, beta = 0.9,
                               shape = 6), cond.dist = "std")
models <- list(
  list(id = "garch11", spec = "garch(1,1)", f = ~garch(1, 1), dist = "norm"),
  list(id = "garch11_t", spec = "garch(1,1, dist=t)", f = ~garch(1, 1), dist = "std"),
  list(id = "ar1_garch11", spec = "garch(1,1, mean=arma(1,0))", f = ~arma(1, 0) + garch(1, 1),
       dist = "norm"))
# one untimed fit first: R's first calls load and compile what garchFit uses
invisible(garchFit(~garch(1, 1), data = garchSim(spec, n = 500), trace = FALSE))
for (n in c(2000, 20000)) {
  set.seed(20240601 + n)
  x <- as.numeric(garchSim(spec, n = n))
  file <- file.path(dir, sprintf("r%d.csv", n))
  write.csv(data.frame(r = sprintf("%.17g", x)), file, row.names = FALSE, quote = FALSE)
  for (m in models) {
    best <- Inf
    for (r in seq_len(reps)) {
      tm <- system.time(fit <- garchFit(m$f, data = x, cond.dist = m$dist, trace = FALSE))
      best <- min(best, tm[["user.self"]] + tm[["sys.self"]])
    }
    cat(n, m$id, file, best, sprintf("%.6f", -fit@fit$llh), "\n")
  }
}
REOF
Rscript "$TMP/r.R" "$TMP" "$REPS" 2>/dev/null > "$TMP/r.txt"

spec_of() {
    case $1 in
    garch11) echo "garch(1,1)" ;;
    garch11_t) echo "garch(1,1, dist=t)" ;;
    ar1_garch11) echo "garch(1,1, mean=arma(1,0))" ;;
    esac
}
printf '%-7s %-12s %10s %10s %8s %14s %14s\n' n model "fGarch s" "tsf s" ratio "loglik fGarch" "loglik tsf"
while read -r n id file rs rll; do
    spec=$(spec_of "$id")
    set -- $("$BUILD/garch_bench" fit "$spec" "$file" "$REPS")
    ts=$1 tll=$2
    awk -v n="$n" -v id="$id" -v rs="$rs" -v ts="$ts" -v rll="$rll" -v tll="$tll" 'BEGIN {
        flag = (tll < rll - 1e-3) ? "  FLAG: tsf loglik lower" : ""
        printf "%-7s %-12s %10.4f %10.5f %7.1fx %14.4f %14.4f%s\n", n, id, rs, ts, rs / ts, rll, tll, flag
    }'
    echo "$rs $ts" >> "$TMP/ratios.txt"
done < "$TMP/r.txt"
awk '{ s += log($1 / $2); k++ } END { printf "geometric mean of the fit-time ratios fGarch/tsf: %.1fx (goal >= 20x)\n", exp(s / k) }' \
    "$TMP/ratios.txt"
for spec in "garch(1,1)" "garch(1,1, dist=t)" "garch(1,1, mean=arma(1,0))"; do
    set -- $("$BUILD/garch_bench" stream "$spec" "$TMP/r20000.csv" 10000000)
    printf 'streaming %-28s %12.0f updates/s   (summed log densities - loglik: %s)\n' "$spec" "$1" "$2"
done
