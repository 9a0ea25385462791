#!/bin/sh
# tsf's ARIMA fit against statsmodels' SARIMAX (exact Gaussian likelihood by
# the Kalman filter, default options: L-BFGS) on the three cases of
# bench/arima_vs_r.sh, in the same run: statsmodels' process CPU time of
# the fit against tsf's fit_seconds (`tsf fit --json`), best of REPS each;
# ratio statsmodels/tsf, both log-likelihoods (flagged when tsf's is worse
# by more than 1e-3) and the geometric mean.  One BLAS/OMP thread for both.
# statsmodels' SARIMAX treats the first observations differently (diffuse
# or approximate-diffuse start of the differenced state; a constant `c`
# for the ARMA(2,2)), so its log-likelihoods are close to, not equal to,
# R's and tsf's.
#   meson setup build && ninja -C build && bench/arima_vs_statsmodels.sh [build]
set -eu
BUILD=${1:-build}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
TSF="$BUILD/tsf"
[ -x "$TSF" ] || { echo "build first: ninja -C $BUILD (missing $TSF)" >&2; exit 1; }
# the first python3 with statsmodels (a pyenv or venv python may lack it)
PY=""
for c in ${PYTHON:-} python3 /usr/bin/python3; do
    if "$c" -c 'import statsmodels' 2>/dev/null; then PY=$c; break; fi
done
[ -n "$PY" ] || { echo "needs python3-statsmodels" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
REPS=${REPS:-5}
"$PY" "$(dirname "$0")/arima_vs_statsmodels.py" "$TMP" "$REPS" > "$TMP/sm.txt"
printf '%-26s %10s %10s %8s %16s %16s\n' case sm_s tsf_s ratio sm_loglik tsf_loglik
logsum=0; k=0
while read -r id spec period ssec sll; do
    best=""; tll=""
    for r in $(seq "$REPS"); do
        "$TSF" fit -m "$spec" --period "$period" --json "$TMP/$id.csv" > "$TMP/o.json"
        python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["fit_seconds"], j["loglik"])' \
            "$TMP/o.json" >> "$TMP/runs.txt"
    done
    set -- $(sort -g "$TMP/runs.txt" | head -1)
    rm -f "$TMP/runs.txt"
    tsec=$1; tll=$2
    ratio=$(awk -v a="$ssec" -v b="$tsec" 'BEGIN{printf "%.1f", a/b}')
    worse=$(awk -v a="$sll" -v b="$tll" 'BEGIN{print (b < a - 1e-3) ? "  (tsf loglik lower)" : ""}')
    printf '%-26s %10.4f %10.4f %8s %16s %16.6f%s\n' "$id" "$ssec" "$tsec" "$ratio" "$sll" "$tll" "$worse"
    logsum=$(awk -v s="$logsum" -v a="$ssec" -v b="$tsec" 'BEGIN{print s + log(a/b)}')
    k=$((k + 1))
done < "$TMP/sm.txt"
awk -v s="$logsum" -v k="$k" 'BEGIN{printf "geometric mean of statsmodels/tsf: %.1fx\n", exp(s/k)}'
