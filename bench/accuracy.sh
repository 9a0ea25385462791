#!/bin/sh
# Forecast accuracy and speed on the M1 competition data (datasets/m1: 1001
# series, yearly h = 6, quarterly h = 8, monthly h = 18): sMAPE and MASE per
# frequency of tsf's models against R's forecast package on the same series
# and test parts, and the wall time of each side.  Not a timed test: it
# prints numbers measured in one run.
#
#   bench/accuracy.sh [TSF]            (default build/tsf)
#
# tsf side: `tsf evaluate -h H --period P --format long --threads 2` on the
# training part followed by the test part of every series (the last H
# values held out are exactly the test part); wall time of the command (the least
# of three runs when under a second).
# R side (bench/accuracy.R): auto.arima, ets, thetaf and forecast() in a loop
# over the series in one R process on one core; the time of the loop alone.
# The measures are the same (docs/evaluate.md): sMAPE of the M3 definition,
# MASE with the in-sample seasonal-naive scale, both averaged over series.
#
# Global neural models (GLOBAL_METHODS, default "gru() lstm() transformer()
# wavenet() combo(auto,ets,theta,gru())"; empty to skip): `tsf evaluate --global`, one network trained
# on all series of the frequency (docs/neural.md, "Global models"), one
# run; the seconds are training plus forecasting.  The goal line says
# whether the better of gru() and wavenet() beats tsf auto's sMAPE.
# Environment: FREQS ("yearly quarterly monthly"), TSF_METHODS ("auto ets
# theta theta(optimized) combo(auto,ets,theta)"), GLOBAL_ARGS (extra tsf options of
# the global runs, e.g. "--epochs 60 --seed 3"; default none), R_METHODS ("auto.arima ets thetaf"; empty
# to skip R), THREADS (2), M1 (datasets/m1).  A tsf spec this build does not
# know (e.g. ets before that family lands) is reported as failed with tsf's
# message, and the run goes on.
# Needs: python3 (JSON), Rscript with library(forecast) for the R side.
set -eu
TSF=${1:-build/tsf}
THREADS=${THREADS:-2}
M1=${M1:-datasets/m1}
FREQS=${FREQS:-yearly quarterly monthly}
TSF_METHODS=${TSF_METHODS:-auto ets theta theta(optimized) combo(auto,ets,theta)}
R_METHODS=${R_METHODS-auto.arima ets thetaf}
GLOBAL_METHODS=${GLOBAL_METHODS-gru() lstm() transformer() wavenet() combo(auto,ets,theta,gru())}
HERE=$(dirname "$0")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# train + test of every series as one long file (id,time,value), the test
# rows after the training rows of the same series.
combine() {
    awk -F, 'NR == FNR { if (FNR > 1) test[$1] = test[$1] $3 "\n"; next }
        FNR == 1 { print "id,time,value"; next }
        $1 != cur { flush(); cur = $1; n = 0 }
        { print; n = $2 }
        function flush(   k, v, i) {
            if (cur == "") return
            k = split(test[cur], v, "\n")
            for (i = 1; i < k; i++) print cur "," (n + i) "," v[i]
        }
        END { flush() }' "$2" "$1"
}

# json FIELD... < evaluate --json: the fields of the one model
json() {
    python3 -c 'import json,sys
m = json.load(sys.stdin)["models"][0]
print(" ".join("%.4f" % m[k] if isinstance(m[k], float) else str(m[k]) for k in sys.argv[1:]))' "$@"
}

# row LABEL KEY RC SECONDS: one tsf line from $W/out.json (or its error),
# and KEY's sMAPE and time for the goal and speed lines
row() {
    if [ "$3" -eq 0 ] || [ "$3" -eq 3 ]; then
        set -- "$1" "$2" "$4" $(json smape mase failed <"$W/out.json")
        printf '%-5s %-30s %9s %9s %7s %10s\n' tsf "$1" "$4" "$5" "$6" "$3"
        echo "tsf $2 $4 $3" >>"$W/$f.times"
    else
        printf '%-5s %-30s failed: %s\n' tsf "$1" "$(head -c 150 "$W/err.txt")"
    fi
}

# tsf's process start (loading its shared libraries: ~40 ms here), the
# least of 5 runs of `tsf help`: R's times are of its loop alone, without
# R's start and library(forecast), so the speed lines also give tsf's time
# less this start.
START=$(for i in 1 2 3 4 5; do t0=$(now); "$TSF" help >/dev/null 2>&1; elapsed "$t0" "$(now)"; echo; done |
        sort -n | head -n 1)
echo "tsf process start (least of 5 runs of tsf help): $START s"

for f in $FREQS; do
    case $f in
        yearly) P=1; H=6 ;;
        quarterly) P=4; H=8 ;;
        monthly) P=12; H=18 ;;
        *) echo "unknown frequency $f" >&2; exit 1 ;;
    esac
    combine "$M1/m1_${f}_train.csv" "$M1/m1_${f}_test.csv" >"$W/$f.csv"
    nser=$(awk -F, 'NR > 1 { print $1 }' "$M1/m1_${f}_train.csv" | sort -u | wc -l)
    echo "== M1 $f: $nser series, h = $H, period $P =="
    printf '%-5s %-30s %9s %9s %7s %10s\n' side method sMAPE MASE failed seconds
    : >"$W/$f.times"
    for m in $TSF_METHODS; do
        # one run, then (when under a second: tens of milliseconds are at
        # the mercy of the scheduler) two more, the least time kept
        t=
        for run in 1 2 3; do
            t0=$(now)
            rc=0
            "$TSF" evaluate -m "$m" -h "$H" --period "$P" --format long --threads "$THREADS" \
                --json "$W/$f.csv" >"$W/out.json" 2>"$W/err.txt" || rc=$?
            t=$(elapsed "$t0" "$(now)" | awk -v old="$t" '{ print (old == "" || $1 < old ? $1 : old) }')
            awk -v t="$t" 'BEGIN { exit !(t < 1.0) }' || break
        done
        row "$m" "$m" "$rc" "$t"
    done
    for m in $GLOBAL_METHODS; do
        t0=$(now)
        rc=0
        # shellcheck disable=SC2086 # GLOBAL_ARGS: words on purpose
        "$TSF" evaluate -m "$m" --global --quiet -h "$H" --period "$P" --format long \
            --threads "$THREADS" ${GLOBAL_ARGS:-} --json "$W/$f.csv" >"$W/out.json" \
            2>"$W/err.txt" || rc=$?
        t=$(elapsed "$t0" "$(now)")
        row "$m --global" "$m--global" "$rc" "$t"
    done
    if [ -n "$R_METHODS" ]; then
        if Rscript "$HERE/accuracy.R" "$M1/m1_${f}_train.csv" "$M1/m1_${f}_test.csv" "$P" "$H" \
            "$R_METHODS" >"$W/r.csv" 2>"$W/rerr.txt"; then
            while IFS=, read -r meth n nf sm ms secs; do
                printf '%-5s %-30s %9.4f %9.4f %7s %10s\n' R "$meth" "$sm" "$ms" "$nf" "$secs"
                echo "R $meth $sm $secs" >>"$W/$f.times"
            done <"$W/r.csv"
        else
            echo "R failed: $(tail -n 2 "$W/rerr.txt")"
        fi
    fi
    # speed ratios (R seconds / tsf seconds) and the accuracy goal
    awk -v combo="combo(auto,ets,theta)" -v start="$START" '
        { side[NR] = $1; meth[NR] = $2; sm[$1 " " $2] = $3; sec[$1 " " $2] = $4 }
        END {
            split("auto.arima:auto ets:ets thetaf:theta", pairs, " ")
            for (i in pairs) {
                split(pairs[i], p, ":")
                if (("R " p[1]) in sec && ("tsf " p[2]) in sec && sec["tsf " p[2]] > 0) {
                    r = sec["R " p[1]]; t = sec["tsf " p[2]]; w = t - start
                    printf "speed: R %s %.2f s / tsf %s %.3f s = %.1fx; less tsf\047s process " \
                           "start: %.3f s, %s\n", p[1], r, p[2], t, r / t, w,
                           (w > 0 ? sprintf("%.1fx", r / w) : "(within the start time)")
                }
            }
            best = ""
            if (("tsf gru()--global") in sm) best = sm["tsf gru()--global"]
            if (("tsf wavenet()--global") in sm && (best == "" || sm["tsf wavenet()--global"] + 0 < best + 0))
                best = sm["tsf wavenet()--global"]
            if (best != "" && ("tsf auto") in sm)
                printf "goal: best of global gru()/wavenet() sMAPE %s < auto sMAPE %s: %s\n", best,
                       sm["tsf auto"], (best + 0 < sm["tsf auto"] + 0) ? "yes" : "NO"
            gc = "combo(auto,ets,theta,gru())--global"
            if (("tsf " gc) in sm && ("tsf " combo) in sm)
                printf "goal: %s sMAPE %s < %s sMAPE %s: %s\n", gc, sm["tsf " gc], combo,
                       sm["tsf " combo], (sm["tsf " gc] + 0 < sm["tsf " combo] + 0) ? "yes" : "NO"
            if (("tsf " combo) in sm && ("tsf theta") in sm)
                printf "goal: %s sMAPE %s < theta sMAPE %s: %s\n", combo, sm["tsf " combo],
                       sm["tsf theta"], (sm["tsf " combo] + 0 < sm["tsf theta"] + 0) ? "yes" : "NO"
        }' "$W/$f.times"
    echo
done
