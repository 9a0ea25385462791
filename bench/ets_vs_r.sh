#!/bin/sh
# Automatic ETS selection: R's forecast::ets (8.20 defaults) against tsf's
# "ets" on the same shipped series, in one run.  Each side's time is the
# fit itself (R: system.time around ets(); tsf: fit_seconds of tsf fit
# --json), summed over the series, one thread each.
# Usage: bench/ets_vs_r.sh [TSF_BINARY]   (run from the project root)
set -eu
TSF=${1:-build/tsf}
SERIES="AirPassengers:12 co2:12 UKgas:4 USAccDeaths:12 wineind:12 WWWusage:1 austres:4 \
JohnsonJohnson:4 nottem:12 ldeaths:12 lynx:1 Nile:1 LakeHuron:1 gas:12 woolyrnq:4 BJsales:1 \
airmiles:1 sunspot_year:1 discoveries:1 lh:1"
command -v Rscript >/dev/null || { echo "needs Rscript with forecast (r-cran-forecast)"; exit 77; }
[ -x "$TSF" ] || { echo "no tsf binary at $TSF (build first)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in $SERIES; do echo "$s"; done > "$tmp/list"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 Rscript - "$tmp/list" > "$tmp/r.txt" 2>/dev/null <<'REOF'
suppressMessages(library(forecast))
lst <- readLines(commandArgs(TRUE)[1])
for (s in lst) {
  p <- strsplit(s, ":")[[1]]
  y <- ts(read.csv(sprintf("datasets/%s.csv", p[1]))$value, frequency = as.numeric(p[2]))
  t <- system.time(fit <- ets(y))[["elapsed"]]
  cat(p[1], fit$method, t, "\n")
}
REOF
printf '%-16s %-14s %9s  %-14s %9s\n' series "R model" "R s" "tsf model" "tsf s"
total_r=0; total_t=0
while read -r name rmodel rt; do
  per=$(grep "^$name:" "$tmp/list" | cut -d: -f2)
  out=$(OMP_NUM_THREADS=1 "$TSF" fit --json --period "$per" -m ets "datasets/$name.csv")
  tm=$(printf '%s' "$out" | sed -n 's/.*"model": *"\([^"]*\)".*/\1/p' | head -n 1)
  tt=$(printf '%s' "$out" | sed -n 's/.*"fit_seconds": *\([0-9.eE+-]*\).*/\1/p')
  printf '%-16s %-14s %9.4f  %-14s %9.4f\n' "$name" "$rmodel" "$rt" "$tm" "$tt"
  total_r=$(echo "$total_r + $rt" | bc -l); total_t=$(echo "$total_t + $tt" | bc -l)
done < "$tmp/r.txt"
printf 'total: R %.3f s, tsf %.3f s, R/tsf = %.1fx (goal >= 20x)\n' "$total_r" "$total_t" \
  "$(echo "$total_r / $total_t" | bc -l)"
