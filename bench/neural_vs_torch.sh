#!/bin/sh
# Training throughput and peak memory of tsf's neural CPU reference against
# PyTorch on CPU, same architectures, sizes, batch and context, measured in
# one run; plus tsf's forecast sampling throughput (paths x steps / s).
#   bench/neural_vs_torch.sh [THREADS] [STEPS]     (from the repository root,
#   after `meson setup build && ninja -C build`)
# Needs Debian's python3-torch (apt-get install -y python3-torch).
set -eu
THREADS=${1:-1}
STEPS=${2:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PY=${PYTHON:-/usr/bin/python3}
DRV=$BUILD/neural_bench
if ! $PY -c 'import torch' 2>/dev/null; then
    echo "PyTorch is missing: apt-get install -y python3-torch" >&2
    exit 1
fi
[ -f "$BUILD/libtsf.a" ] || { echo "build the library first: meson setup build && ninja -C build" >&2; exit 1; }
${CC:-cc} -O2 -fopenmp -I"$ROOT/include" -I"$ROOT/src" "$ROOT/bench/neural_bench.c" \
    "$BUILD/libtsf.a" -o "$DRV" -lgsl -lopenblas -llapacke -lcsv -ljansson -lm
NCPU=$(nproc --all)
WN=
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS

field() { $PY -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "threads $THREADS, $STEPS timed steps each (after 2 warm-up steps); $NCPU cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-34s %9s %9s %7s %9s %9s %7s %8s %8s %7s %11s\n' model "tsf st/s" "torch" ratio \
    "cpu tsf" "cpu torch" "ratio" "tsf MB" "torch MB" "mem" "tsf samp/s"
# ARCH HIDDEN LAYERS HEADS CONTEXT BATCH (transformer-additive: attention=additive;
# transformer-cross: cross=true with two regressors; wavenet: HIDDEN = channels = skip, kernel 2)
for cfg in "gru 32 2 1 128 32" "gru 128 2 1 128 32" "lstm 64 2 1 128 32" \
           "transformer 64 2 4 256 8" "transformer 64 2 4 256 32" \
           "transformer-cross 64 2 4 256 8" "transformer-cross 64 2 4 256 32" \
           "transformer-additive 64 2 4 256 8" \
           "wavenet 32 8 0 256 32" "wavenet 64 8 0 256 32"; do
    set -- $cfg
    t=$("$DRV" "$1" "$2" "$3" "$4" "$5" "$6" "$STEPS" 200 24)
    p=$($PY "$ROOT/bench/neural_vs_torch.py" "$1" "$2" "$3" "$4" "$5" "$6" "$STEPS" "$THREADS")
    ts=$(field "$t" steps_per_s); ps=$(field "$p" steps_per_s)
    tc=$(field "$t" cpu_steps_per_s); pc=$(field "$p" cpu_steps_per_s)
    tm=$(field "$t" maxrss_mb); pm=$(field "$p" maxrss_mb)
    printf '%-34s %9.2f %9.2f %6.2fx %9.2f %9.2f %6.2fx %8.1f %8.1f %6.2fx %11.0f\n' \
        "$1 h=$2 L=$3 T=$5 B=$6" "$ts" "$ps" "$(echo "$ts / $ps" | bc -l)" \
        "$tc" "$pc" "$(echo "$tc / $pc" | bc -l)" "$tm" "$pm" \
        "$(echo "$tm / $pm" | bc -l)" "$(field "$t" sample_steps_per_s)"
    [ "$1" = wavenet ] && WN="$WN
$(printf '%-34s %11.0f %11.0f %6.1fx' "$1 c=$2 L=$3" "$(field "$t" sample_steps_per_s)" \
        "$(field "$t" recompute_sample_steps_per_s)" \
        "$(echo "$(field "$t" sample_steps_per_s) / $(field "$t" recompute_sample_steps_per_s)" | bc -l)")"
done
if [ -n "${WN:-}" ]; then
    echo "wavenet sampling, paths x steps / s: queues (fast generation) vs recomputing the"
    echo "receptive field at each step (200 paths x 24 steps)"
    printf '%-34s %11s %11s %7s' model queues recompute ratio
    echo "$WN"
fi
echo "st/s = training steps per wall second; cpu = per CPU second of the process (the fair"
echo "measure on a loaded machine); ratio = tsf / torch (> 1: tsf faster); mem = tsf / torch peak RSS"
echo "samp/s = tsf forecast sampling (paths x steps per wall second), 200 paths x 24 steps after"
echo "a context-long history"
