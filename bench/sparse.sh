#!/bin/sh
# Sparse attention patterns (issue 15 part 1, docs/neural.md "Attention
# patterns"), measured in one run against dense attention and PyTorch:
#
#  1. fit_seconds of transformer(context=1024, pattern=logsparse) vs
#     pattern=dense, --epochs 3, on a simulated hourly series (20160
#     points, daily and weekly cycles) given as --period 168;
#  2. one training step at context 2048 (d=64, 2 layers, 4 heads, 8
#     windows): dense, logsparse, strided and local, wall and CPU time,
#     activation arena; the PyTorch peer is bench/neural_vs_torch.py's
#     dense masked ALiBi transformer at the same sizes;
#  3. with ACCURACY=1: held-out log-likelihood (nats/obs, `tsf compare`,
#     last 1000 points) of logsparse vs dense at context 1024 on the
#     simulated series and at context 2048 on datasets/taylor.csv
#     (ACC_EPOCHS epochs, default the training default of 30).
#
#   bench/sparse.sh            (from the repository root, after
#                               `meson setup build && ninja -C build`)
# Environment: THREADS (1), STEPS (2), ACCURACY (0), ACC_EPOCHS (30),
# BUILD, PYTHON (/usr/bin/python3, with numpy and torch).
# Timings on a shared machine: compare the cpu columns (per CPU second of
# the process); every ratio comes from the same run.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PY=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-1}
STEPS=${STEPS:-2}
TSF=$BUILD/tsf
[ -x "$TSF" ] && [ -f "$BUILD/libtsf.a" ] ||
    { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DRV=$WORK/neural_bench
DNNL= # the oneDNN GEMMs (cpu_onednn.c), where the build has them
grep -q "cpu_onednn.c.o" "$BUILD/build.ninja" && DNNL=-ldnnl
${CC:-cc} -O2 -fopenmp -I"$ROOT/include" -I"$ROOT/src" "$ROOT/bench/neural_bench.c" \
    "$BUILD/libtsf.a" -o "$DRV" -lgsl -lopenblas -llapacke -lcsv -ljansson $DNNL -lm
field() { $PY -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
ratio() { $PY -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

# hourly, 120 weeks: daily and weekly cycles, AR(1) noise, seed fixed
SIM=$WORK/hourly.csv
$PY - "$SIM" <<'EOF'
import sys
from datetime import datetime, timedelta
import numpy as np
rng = np.random.default_rng(15)
n = 168 * 120
t = np.arange(n)
e = np.zeros(n)
w = rng.normal(0, 1, n)
for i in range(1, n):
    e[i] = 0.7 * e[i - 1] + w[i]
y = 50 + 8 * np.sin(2 * np.pi * t / 24) + 5 * np.sin(2 * np.pi * t / 168) \
    + 3 * (((t // 24) % 7) >= 5) + e
with open(sys.argv[1], "w") as f:
    f.write("time,value\n")
    t0 = datetime(2020, 1, 6)
    for i in range(n):
        f.write("%s,%.4f\n" % ((t0 + timedelta(hours=i)).strftime("%Y-%m-%d %H:%M"), y[i]))
EOF
echo "machine: $(nproc --all) cores, load $(cut -d' ' -f1 /proc/loadavg); threads $THREADS"

echo
echo "1. fit_seconds, transformer(context=1024), --epochs 3 --period 168, $(($(wc -l < "$SIM") - 1)) hourly points"
printf '%-12s %12s %10s\n' pattern fit_seconds "dense/this"
FD=
for p in dense logsparse; do
    j=$("$TSF" fit -m "transformer(context=1024, pattern=$p)" --epochs 3 --period 168 \
        --threads "$THREADS" --json "$SIM")
    fs=$(field "$j" fit_seconds)
    [ -z "$FD" ] && FD=$fs
    printf '%-12s %12.2f %9sx\n' "$p" "$fs" "$(ratio "$FD" "$fs")"
done

echo
echo "2. one training step, context 2048, d=64, 2 layers, 4 heads, 8 windows ($STEPS timed steps)"
printf '%-22s %9s %9s %8s %9s %10s %9s\n' model "ms/step" "cpu ms" "speedup" "acts MB" \
    "acts ratio" "peak MB"
DM=; DA=
for p in "dense 0" "logsparse 2" "strided 3" "local 1"; do
    set -- $p
    j=$(TSF_BENCH_PATTERN=$2 "$DRV" transformer 64 2 4 2048 8 "$STEPS" 10 4)
    ms=$(field "$j" ms_per_step)
    cms=$($PY -c "import sys; print(1e3 / float(sys.argv[1]))" "$(field "$j" cpu_steps_per_s)")
    am=$(field "$j" acts_mb)
    [ -z "$DM" ] && { DM=$cms; DA=$am; }
    printf '%-22s %9.0f %9.0f %7sx %9.1f %9sx %9.1f\n' "tsf $1" "$ms" "$cms" \
        "$(ratio "$DM" "$cms")" "$am" "$(ratio "$DA" "$am")" "$(field "$j" maxrss_mb)"
done
if $PY -c 'import torch' 2>/dev/null; then
    j=$($PY "$ROOT/bench/neural_vs_torch.py" transformer 64 2 4 2048 8 "$STEPS" "$THREADS")
    cms=$($PY -c "import sys; print(1e3 / float(sys.argv[1]))" "$(field "$j" cpu_steps_per_s)")
    printf '%-22s %9.0f %9.0f %7sx %9s %10s %9.1f\n' "torch dense masked" \
        "$(field "$j" ms_per_step)" "$cms" "$(ratio "$DM" "$cms")" - - "$(field "$j" maxrss_mb)"
else
    echo "(PyTorch missing: apt-get install -y python3-torch)"
fi
echo "speedup = tsf dense cpu ms / this row's; acts = the training pass's activation arena"
echo "(tsf_nn_acts); peak MB = the process's peak RSS (PyTorch keeps its autograd graph there)"

if [ "${ACCURACY:-0}" = 1 ]; then
    E=${ACC_EPOCHS:-30}
    echo
    echo "3. held-out log-likelihood, last 1000 points, $E epochs (nats/obs)"
    printf '%-40s %10s %10s %10s\n' series dense logsparse difference
    for c in "$SIM 1024 168" "$ROOT/datasets/taylor.csv 2048 336"; do
        set -- $c
        j=$("$TSF" compare -m "transformer(context=$2)" -m "transformer(context=$2, pattern=logsparse)" \
            --holdout 1000 --period "$3" --epochs "$E" --threads "$THREADS" --json "$1")
        $PY - "$j" "$(basename "$1") context $2" <<'EOF'
import json, sys
m = json.loads(sys.argv[1])["models"]
d, s = (x["holdout_loglik"] / x["holdout_n"] for x in m)
print("%-40s %10.4f %10.4f %10.4f" % (sys.argv[2], d, s, s - d))
EOF
    done
fi
