#!/bin/sh
# tsf fit/forecast/compare/simulate with garch models: --returns, --risk
# (JSON keys and the closed-form one-step VaR), and bad input with its exit
# statuses (1 for input, 2 for a non-stationary estimate).
# usage: test_garch_cli.sh TSF SRCDIR
set -u
TSF=$1
SRC=$2
EU="$SRC/datasets/EuStockMarkets.csv"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$TSF" fit -m 'garch(1,1, dist=t)' --returns log -c DAX "$EU" >"$T/fit.txt" || fail "fit"
for w in mu omega alpha1 beta1 shape Persistence half-life "Robust s.e." "percent log returns"; do
    grep -q "$w" "$T/fit.txt" || fail "fit table lacks '$w'"
done
"$TSF" forecast -m 'garch(1,1)' --returns log -c DAX -h 5 --risk 99,97.5 --json --seed 4 \
    "$EU" >"$T/fc.json" || fail "forecast --risk"
# one-step VaR = -(mean + se * qnorm(0.01)); ES = -(mean - se * dnorm(q) / 0.01)
$py - "$T/fc.json" <<'PY' || fail "risk JSON"
import json, math, sys
from statistics import NormalDist
j = json.load(open(sys.argv[1]))
m, s = j["mean"][0], j["se"][0]
q = NormalDist().inv_cdf(0.01)
assert abs(j["var"]["99"][0] - (-(m + s * q))) < 1e-8, j["var"]["99"][0]
es = -(m - s * math.exp(-q * q / 2) / math.sqrt(2 * math.pi) / 0.01)
assert abs(j["es"]["99"][0] - es) < 1e-8
assert len(j["var"]["97.5"]) == 5 and all(e > v for e, v in zip(j["es"]["99"], j["var"]["99"]))
PY
# returns of a price column, simple and log
"$TSF" fit -m 'garch(1,1)' --returns simple -c DAX --json "$EU" >"$T/s.json" || fail "simple"
grep -q '"nobs": 1859' "$T/s.json" || fail "1859 returns from 1860 prices"
# trading days on a business-day grid: the holidays the grid fills are
# skipped, the return after one spans it (independent: the prices of the
# file's own rows, computed here), and residuals keep the rows' dates
MS="$SRC/datasets/msft.csv"
"$TSF" fit -m 'garch(1,1, dist=t)' --returns log --json "$MS" >"$T/ms.json" 2>/dev/null ||
    fail "garch on msft prices with holidays"
"$TSF" fit -m 'arima(0,0,0)' --returns log --residuals "$T/res.csv" "$MS" >/dev/null 2>&1 ||
    fail "residuals of msft returns"
$py - "$MS" "$T/ms.json" "$T/res.csv" <<'PY' || fail "returns across holidays"
import csv, json, math, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
assert json.load(open(sys.argv[2]))["nobs"] == len(rows) - 1
res = list(csv.reader(open(sys.argv[3])))[1:]
assert len(res) == len(rows) - 1
for (t, p), (tp, pp), r in zip(rows[1:], rows, res):
    assert r[0] == t, (r[0], t)
    assert abs(float(r[1]) - 100 * math.log(float(p) / float(pp))) < 1e-7, (t, r[1])
assert any(r[0] == "2000-11-24" for r in res)
PY
# prices without --returns: a warning, then the non-stationary estimate (exit 2)
"$TSF" fit -m 'garch(1,1)' -c DAX "$EU" >/dev/null 2>"$T/err"
[ $? -eq 2 ] || fail "prices as returns: expected exit 2"
grep -q "looks like prices" "$T/err" || fail "no price warning: $(cat "$T/err")"
grep -q "stationar" "$T/err" || fail "no stationarity message: $(cat "$T/err")"
# bad specs and input: exit 1 with the spec quoted
"$TSF" fit -m 'garch(1,1, mean=arma(1,x))' --returns log -c DAX "$EU" 2>"$T/err"
[ $? -eq 1 ] && grep -q 'column 24' "$T/err" || fail "bad arma: $(cat "$T/err")"
"$TSF" fit -m 'garch(1,1, skew=1)' --returns log -c DAX "$EU" 2>"$T/err"
[ $? -eq 1 ] && grep -q "unknown key 'skew'" "$T/err" || fail "unknown key: $(cat "$T/err")"
printf 'r\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n' >"$T/const.csv"
"$TSF" fit -m garch "$T/const.csv" 2>"$T/err"
[ $? -eq 1 ] && grep -q "constant" "$T/err" || fail "constant returns: $(cat "$T/err")"
head -n 20 "$EU" >"$T/short.csv"
"$TSF" fit -m garch --returns log -c DAX "$T/short.csv" 2>"$T/err"
[ $? -eq 1 ] && grep -q "too few" "$T/err" || fail "too few: $(cat "$T/err")"
"$TSF" fit -m garch --returns cubic -c DAX "$EU" 2>/dev/null
[ $? -eq 1 ] || fail "--returns cubic accepted"
"$TSF" forecast -m garch --returns log -c DAX -h 2 --risk 40 "$EU" 2>/dev/null
[ $? -eq 1 ] || fail "--risk 40 accepted"
"$TSF" forecast -m 'arima(1,0,0)' --returns log -c DAX -h 2 --risk 99 "$EU" 2>"$T/err"
[ $? -eq 1 ] && grep -q "garch" "$T/err" || fail "risk of an arima: $(cat "$T/err")"
# compare ranks garch against arima on the same held-out likelihood
"$TSF" compare -m 'garch(1,1)' -m 'garch(1,1, dist=t)' -m 'arima(1,0,0)' --holdout 300 --samples 500 \
    --returns log -c DAX --json "$EU" >"$T/cmp.json" || fail "compare"
$py - "$T/cmp.json" <<'PY' || fail "compare: the t-GARCH should beat the AR(1) out of sample"
import json, sys
m = json.load(open(sys.argv[1]))["models"]
assert m[1]["holdout_loglik"] > m[2]["holdout_loglik"], m
PY
# --no-mean is mean=zero, and its model file loads back as such
"$TSF" fit -m 'garch(1,1)' --no-mean --returns log -c DAX --json -o "$T/nm.safetensors" "$EU" \
    >"$T/nm.json" || fail "fit --no-mean"
"$TSF" fit -m 'garch(1,1, mean=zero)' --returns log -c DAX --json "$EU" >"$T/z.json" || fail "zero"
grep -q '"mu"' "$T/nm.json" && fail "--no-mean estimated mu"
[ "$(grep loglik "$T/nm.json")" = "$(grep loglik "$T/z.json")" ] || fail "--no-mean != mean=zero"
"$TSF" forecast --model "$T/nm.safetensors" -h 2 --returns log -c DAX --json "$EU" >"$T/nmf.json" ||
    fail "forecast from the --no-mean file"
# batch: every price column of the file as returns, one model each
"$TSF" batch -m 'garch(1,1)' -h 2 --returns log --quiet "$EU" >"$T/b.csv" || fail "batch"
[ "$(grep -c '^DAX,\|^SMI,\|^CAC,\|^FTSE,' "$T/b.csv")" -eq 8 ] || fail "batch rows: $(cat "$T/b.csv")"
"$TSF" fit -m 'garch(1,1)' --returns log -c DAX --json "$EU" >"$T/l.json" || fail "fit log"
mu=$(tr -d ' \n' <"$T/l.json" | sed 's/.*"coef":{"mu":\([^,}]*\).*/\1/')
awk -F, -v mu="$mu" '$1 == "DAX" && $2 == 1 { d = $3 - mu; f = (d < 1e-8 && d > -1e-8) }
    END { exit !f }' "$T/b.csv" || fail "batch DAX mean differs from fit's mu $mu"
# save, simulate
"$TSF" fit -m 'garch(1,1, type=gjr)' --returns log -c DAX -o "$T/g.safetensors" "$EU" >/dev/null ||
    fail "fit -o"
"$TSF" simulate --model "$T/g.safetensors" -n 50 --paths 2 --seed 1 >"$T/sim.csv" || fail simulate
[ "$(wc -l <"$T/sim.csv")" -ge 50 ] || fail "simulate output"
echo ok
