#!/bin/sh
# examples/sensor_monitor: a model saved by `tsf fit -o` and one fitted on
# the first values both flag an injected spike and nothing before it; the
# summed log densities equal the loglik `tsf fit --json` reports.
# usage: test_examples.sh TSF SENSOR_MONITOR SRCDIR
set -u
TSF=$1
MON=$2
SRC=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
awk -F, 'NR > 1 { print $2 }' "$SRC/datasets/LakeHuron.csv" >"$T/clean.txt"
"$TSF" fit -m 'ar(2)' --json -o "$T/m.safetensors" "$SRC/datasets/LakeHuron.csv" >"$T/fit.json" ||
    fail "tsf fit"
"$MON" "$T/m.safetensors" <"$T/clean.txt" >"$T/clean.out" 2>/dev/null || fail "monitor (model file)"
[ "$(wc -l <"$T/clean.out")" -eq 98 ] || fail "one line per value expected"
grep -q ANOMALY "$T/clean.out" && fail "a clean series was flagged: $(grep ANOMALY "$T/clean.out")"
# the sum of the densities over the fitted series is its log-likelihood
ll=$(tr -d ' \n' <"$T/fit.json" | sed 's/.*"loglik":\([^,}]*\).*/\1/')
awk -v ll="$ll" '{ s += $3 } END { d = s - ll; if (d < 0) d = -d; exit !(d < 1e-3) }' "$T/clean.out" ||
    fail "summed log densities differ from loglik $ll"
sed '70s/.*/590.5/' "$T/clean.txt" >"$T/spike.txt"
"$MON" "$T/m.safetensors" <"$T/spike.txt" >"$T/spike.out" 2>/dev/null || fail "monitor (spike)"
first=$(awk '/ANOMALY/ { print $1; exit }' "$T/spike.out")
[ "$first" = 70 ] || fail "first flag at $first, expected 70"
"$MON" -m 'ar(1)' -n 60 <"$T/spike.txt" >"$T/fit.out" 2>/dev/null || fail "monitor -m"
first=$(awk '/ANOMALY/ { print $1; exit }' "$T/fit.out")
[ "$first" = 70 ] || fail "-m: first flag at $first, expected 70"
# stop and resume: two runs through a saved state (-s) give the densities
# of one uninterrupted run
head -n 50 "$T/clean.txt" >"$T/part1.txt"
tail -n +51 "$T/clean.txt" >"$T/part2.txt"
"$MON" -s "$T/state" "$T/m.safetensors" <"$T/part1.txt" >"$T/r1.out" 2>/dev/null || fail "monitor -s (1)"
[ -s "$T/state" ] || fail "-s saved no state"
"$MON" -s "$T/state" "$T/m.safetensors" <"$T/part2.txt" >"$T/r2.out" 2>/dev/null || fail "monitor -s (2)"
cat "$T/r1.out" "$T/r2.out" | cut -f2,3 >"$T/resumed"
cut -f2,3 "$T/clean.out" >"$T/whole"
cmp -s "$T/resumed" "$T/whole" || fail "resumed densities differ from one run"
echo ok
