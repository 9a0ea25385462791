#!/bin/sh
# Automatic ETS selection: R's forecast::ets (8.20 defaults) against tsf's
# "ets" on the same shipped series, in one run.  Each side's time is the
# CPU time (user + system), best of REPS (default 3): CPU time, not wall
# time, because the machine may be shared.  R: system.time(ets(y)) around
# the fit alone; tsf: the whole `tsf fit` process (start-up, reading the CSV
# and printing included, which favours R slightly).  One thread each.
# A second ratio uses tsf's in-process fit_seconds (wall time of the fit
# alone, best of REPS): fair when the machine is otherwise idle.
# Prints the model each chose, the times, and R/tsf over all series.
# Usage: bench/ets_vs_r.sh [BUILD_DIR]   (run from the project root; needs
# r-base-core and r-cran-forecast)
set -eu
BUILD=${1:-build}
TSF="$BUILD/tsf"
REPS=${REPS:-3}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
SERIES="AirPassengers:12 co2:12 UKgas:4 USAccDeaths:12 wineind:12 WWWusage:1 austres:4 \
JohnsonJohnson:4 nottem:12 ldeaths:12 lynx:1 Nile:1 LakeHuron:1 gas:12 woolyrnq:4 BJsales:1 \
airmiles:1 sunspot_year:1 discoveries:1 lh:1"
command -v Rscript >/dev/null || { echo "needs Rscript with forecast (r-cran-forecast)" >&2; exit 1; }
[ -x "$TSF" ] || { echo "build first: ninja -C $BUILD (missing $TSF)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in $SERIES; do echo "$s"; done > "$tmp/list"
Rscript - "$tmp/list" "$REPS" > "$tmp/r.txt" 2>/dev/null <<'REOF'
suppressMessages(library(forecast))
a <- commandArgs(TRUE)
for (s in readLines(a[1])) {
  p <- strsplit(s, ":")[[1]]
  y <- ts(read.csv(sprintf("datasets/%s.csv", p[1]))$value, frequency = as.numeric(p[2]))
  best <- Inf
  for (r in seq_len(as.integer(a[2]))) {
    t <- system.time(fit <- ets(y))
    best <- min(best, t[["user.self"]] + t[["sys.self"]])
  }
  cat(p[1], fit$method, best, "\n")
}
REOF
printf '%-16s %-14s %9s  %-14s %9s %8s %10s\n' series "R model" "R s" "tsf model" "tsf s" \
  "R/tsf" "tsf fit s"
total_r=0; total_t=0; total_f=0
while read -r name rmodel rt; do
  per=$(grep "^$name:" "$tmp/list" | cut -d: -f2)
  best=""; bestf=""
  i=0
  while [ "$i" -lt "$REPS" ]; do
    /usr/bin/time -f '%U %S' -o "$tmp/time" "$TSF" fit --json --period "$per" -m ets \
      "datasets/$name.csv" > "$tmp/out"
    out=$(cat "$tmp/out")
    tt=$(awk '{printf "%.4f", $1 + $2}' "$tmp/time")
    if [ -z "$best" ] || [ "$(echo "$tt < $best" | bc -l)" = 1 ]; then best=$tt; fi
    tf=$(printf '%s\n' "$out" | sed -n 's/.*"fit_seconds": *\([0-9.eE+-]*\).*/\1/p' | head -n 1)
    if [ -z "$bestf" ] || [ "$(echo "$tf < $bestf" | bc -l)" = 1 ]; then bestf=$tf; fi
    i=$((i + 1))
  done
  tm=$(printf '%s\n' "$out" | sed -n 's/.*"model": *"\([^"]*\)".*/\1/p' | head -n 1)
  printf '%-16s %-14s %9.4f  %-14s %9.4f %7.1fx %10.4f\n' "$name" "$rmodel" "$rt" "$tm" "$best" \
    "$(echo "$rt / ($best + 0.00001)" | bc -l)" "$bestf"
  total_r=$(echo "$total_r + $rt" | bc -l); total_t=$(echo "$total_t + $best" | bc -l)
  total_f=$(echo "$total_f + $bestf" | bc -l)
done < "$tmp/r.txt"
printf 'total over %d series: R %.3f s, tsf %.3f s, R/tsf = %.1fx (goal >= 20x)\n' \
  "$(wc -l < "$tmp/list")" "$total_r" "$total_t" "$(echo "$total_r / $total_t" | bc -l)"
printf 'in-process: R %.3f s CPU, tsf %.3f s fit_seconds, R/tsf = %.1fx\n' "$total_r" "$total_f" \
  "$(echo "$total_r / $total_f" | bc -l)"
