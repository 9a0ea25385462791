#!/bin/sh
# examples/risk_monitor on DAX percent log returns with a t-GARCH(1,1)
# fitted by `tsf fit --returns log`: the summed log densities equal the
# fit's loglik, the 99% VaR is exceeded about 1% of the time (a correct
# one-step VaR's exceedances are Bernoulli(0.01): 18.6 expected in 1859,
# 6..34 is beyond 3.5 sd), an injected crash raises an alarm on its line,
# and a stop/resume through a saved state changes nothing.
# usage: test_risk_monitor.sh TSF RISK_MONITOR SRCDIR
set -u
TSF=$1
MON=$2
SRC=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
awk -F, 'NR > 1 { if (p != "") printf "%.17g\n", 100 * log($1 / p); p = $1 }' \
    "$SRC/datasets/EuStockMarkets.csv" >"$T/r.txt"
[ "$(wc -l <"$T/r.txt")" -eq 1859 ] || fail "expected 1859 returns"
"$TSF" fit -m 'garch(1,1, dist=t)' --returns log -c DAX --json -o "$T/m.safetensors" \
    "$SRC/datasets/EuStockMarkets.csv" >"$T/fit.json" || fail "tsf fit"
"$MON" "$T/m.safetensors" <"$T/r.txt" >"$T/all.out" || fail "monitor"
[ "$(wc -l <"$T/all.out")" -eq 1859 ] || fail "one line per return expected"
ll=$(tr -d ' \n' <"$T/fit.json" | sed 's/.*"loglik":\([^,}]*\).*/\1/')
awk -v ll="$ll" '{ s += $3 } END { d = s - ll; if (d < 0) d = -d; exit !(d < 1e-6) }' \
    "$T/all.out" || fail "summed log densities differ from loglik $ll"
k=$(grep -c ALARM "$T/all.out")
[ "$k" -ge 6 ] && [ "$k" -le 34 ] || fail "$k exceedances of the 99% VaR in 1859 days"
# every alarm is a return below minus the VaR printed on its line
awk '$5 == "ALARM" && !($2 < -$4) { exit 1 }' "$T/all.out" || fail "alarm without a loss beyond VaR"
sed '1000s/.*/-15/' "$T/r.txt" >"$T/crash.txt"
"$MON" -l 97.5 "$T/m.safetensors" <"$T/crash.txt" >"$T/crash.out" || fail "monitor (crash)"
awk '$1 == 1000 && $5 == "ALARM" { f = 1 } END { exit !f }' "$T/crash.out" ||
    fail "no alarm on the -15% day"
head -n 900 "$T/r.txt" >"$T/p1.txt"
tail -n +901 "$T/r.txt" >"$T/p2.txt"
"$MON" -s "$T/state" "$T/m.safetensors" <"$T/p1.txt" >"$T/s1.out" || fail "monitor -s (1)"
"$MON" -s "$T/state" "$T/m.safetensors" <"$T/p2.txt" >"$T/s2.out" || fail "monitor -s (2)"
cat "$T/s1.out" "$T/s2.out" | cut -f2- >"$T/resumed"
cut -f2- "$T/all.out" >"$T/whole"
cmp -s "$T/resumed" "$T/whole" || fail "resumed output differs from one run"
echo "not a number" | "$MON" "$T/m.safetensors" >/dev/null 2>"$T/err" && fail "bad line accepted"
grep -q "line 1" "$T/err" || fail "bad line message: $(cat "$T/err")"
echo ok
