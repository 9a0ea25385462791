#!/bin/sh
# tsf batch against a loop over forecast::auto.arima in R, plus throughput
# and peak memory.  Not a timed test: it prints numbers measured in one run.
#
#   bench/batch_vs_r.sh [TSF]        (default build/tsf)
#
# 1. 50 monthly series (lengths 60-240, trend/seasonal shapes mixed, fixed
#    seed), `auto`, horizon 12: tsf on 2 threads vs R's auto.arima +
#    forecast in a loop (one R process; the time of the loop alone);
#    series per second side by side and the ratio.
# 2. tsf alone on 2,000 such series (throughput, 2 threads).
# 3. peak memory (/usr/bin/time -v "Maximum resident set size") of
#    `arima(1,1,1)` on 10,000 and on 100,000 series in long format: it
#    should not grow with the number of series (the input is streamed in
#    chunks).  Set BENCH_SKIP_MEMORY=1 to skip this part (it writes ~250 MB).
# BENCH_PARTS="1 2 3" picks parts; N2 (2000) and NMEM ("10000 100000") set
# the sizes of parts 2 and 3; THREADS (2) the tsf threads.
# Needs: Rscript with library(forecast) (Debian r-cran-forecast), GNU time.
set -eu
TSF=${1:-build/tsf}
THREADS=${THREADS:-2}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# gen N SEED LMIN LMAX > file: long-format monthly series
gen() {
    awk -v N="$1" -v seed="$2" -v lmin="$3" -v lmax="$4" 'BEGIN {
        srand(seed); pi = 3.141592653589793; print "id,time,value";
        for (s = 1; s <= N; s++) {
            n = lmin + int(rand() * (lmax - lmin + 1));
            shape = s % 4; level = 50 + 100 * rand(); amp = 5 + 20 * rand();
            slope = 0.5 * (rand() - 0.3); ph = 2 * pi * rand(); x = 0; m = 0;
            y0 = 1990 + int(rand() * 10);
            for (i = 0; i < n; i++) {
                e = (rand() + rand() + rand() - 1.5) * 2;    # about N(0, 1)
                x = 0.5 * x + e; m = m + 0.3 * e;
                seas = sin(2 * pi * i / 12 + ph);
                if (shape == 0) v = level + slope * i + amp * seas + x;           # additive
                else if (shape == 1) v = (level + slope * i) * (1 + 0.15 * seas) + x; # multiplicative
                else if (shape == 2) v = level + m + x;                          # random walk, no season
                else v = level + amp * (seas > 0.5 ? 1 : 0) + 2 * x;             # pulse season
                printf "s%06d,%04d-%02d,%.4f\n", s, y0 + int(i / 12), i % 12 + 1, v;
            }
        } }'
}

PARTS=${BENCH_PARTS:-1 2 3}
has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.2f", (t > 0) ? n / t : 0 }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

if has 1; then
echo "== 1. 50 monthly series, auto, h = 12: tsf ($THREADS threads) vs R forecast::auto.arima =="
gen 50 2024 60 240 >"$W/s50.csv"
t0=$(now)
"$TSF" batch -m auto -h 12 --format long --threads "$THREADS" --quiet \
    -o "$W/tsf50.csv" --summary "$W/tsf50.json" "$W/s50.csv" || true
t1=$(now)
tsf_t=$(elapsed "$t0" "$t1")
cat >"$W/r.R" <<'REOF'
suppressMessages(library(forecast))
d <- read.csv(commandArgs(TRUE)[1], colClasses = c("character", "character", "numeric"))
ids <- unique(d$id)
t <- system.time(for (i in ids) {
    y <- d$value[d$id == i]
    fc <- forecast(auto.arima(ts(y, frequency = 12)), h = 12, level = c(80, 95))
})[["elapsed"]]
cat(sprintf("%.3f\n", t))
REOF
r_t=$(Rscript "$W/r.R" "$W/s50.csv")
tsf_r=$(rate 50 "$tsf_t")
r_r=$(rate 50 "$r_t")
printf "%-34s %10s %12s\n" "" "seconds" "series/s"
printf "%-34s %10s %12s\n" "tsf batch -m auto ($THREADS threads)" "$tsf_t" "$tsf_r"
printf "%-34s %10s %12s\n" "R auto.arima loop (1 core)" "$r_t" "$r_r"
echo "ratio tsf/R (series per second): $(awk -v a="$tsf_r" -v b="$r_r" 'BEGIN { printf "%.1f", a / b }')"
echo "tsf series failed: $(($(grep -c '"error"' "$W/tsf50.json" || true)))"

fi

if has 2; then
echo
N2=${N2:-2000}
echo "== 2. tsf alone: $N2 monthly series, auto, h = 12, $THREADS threads =="
gen "$N2" 7 60 240 >"$W/s2000.csv"
t0=$(now)
"$TSF" batch -m auto -h 12 --format long --threads "$THREADS" --quiet -o "$W/tsf2000.csv" \
    --summary "$W/tsf2000.json" "$W/s2000.csv" || true
t1=$(now)
t=$(elapsed "$t0" "$t1")
echo "$N2 series in $t s: $(rate "$N2" "$t") series/s ($(grep -c '"error"' "$W/tsf2000.json" || true) failed)"

fi

if has 3 && [ "${BENCH_SKIP_MEMORY:-0}" != 1 ]; then
echo
echo "== 3. peak memory, arima(1,1,1), long format, $THREADS threads =="
for n in ${NMEM:-10000 100000}; do
    gen "$n" 99 60 120 >"$W/m.csv"
    size=$(du -h "$W/m.csv" | cut -f1)
    /usr/bin/time -v "$TSF" batch -m 'arima(1,1,1)' -h 12 --format long --threads "$THREADS" \
        --quiet -o "$W/m.out" "$W/m.csv" 2>"$W/time.txt" || true
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/time.txt")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$W/time.txt")
    printf "%7d series (input %s): max RSS %s kB, wall %s\n" "$n" "$size" "$rss" "$wall"
    rm -f "$W/m.csv" "$W/m.out"
done
fi
