#!/bin/sh
# Training throughput and peak memory of tsf's neural CPU backend against
# PyTorch on CPU, same architectures, sizes, batch and context, measured in
# one run, in fp32 and in bf16 (tsf: --precision bf16 through oneDNN;
# PyTorch: torch.autocast("cpu", dtype=torch.bfloat16)), at each thread
# count; plus tsf's forecast sampling throughput (paths x steps / s).
#   bench/neural_vs_torch.sh [THREADS...] [STEPS=N] [ROWS=ARCH] [BF16=no]
#   (default: 1 2, STEPS=20, every row, bf16 columns measured)
#   ROWS=ARCH: only the rows whose model starts with ARCH, e.g. the wavenet
#   rows at 1 and 2 threads (issue #10's speed goal), fp32 only:
#     bench/neural_vs_torch.sh ROWS=wavenet BF16=no
#   (the text matched is "ARCH h=HIDDEN B=BATCH", so ROWS="gru h=128" or
#   ROWS="transformer h=64 B=32" picks one row)
#   BF16=no: the bf16 columns are not measured (printed as 0).
#   (from the repository root, after `meson setup build && ninja -C build`)
# Needs Debian's python3-torch (apt-get install -y python3-torch).
set -eu
STEPS=20
TLIST=
ROWS=
BF16=yes
for a in "$@"; do
    case $a in
    STEPS=*) STEPS=${a#STEPS=} ;;
    ROWS=*) ROWS=${a#ROWS=} ;;
    BF16=*) BF16=${a#BF16=} ;;
    *) TLIST="$TLIST $a" ;;
    esac
done
TLIST=${TLIST:-1 2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PY=${PYTHON:-/usr/bin/python3}
DRV=$BUILD/neural_bench
if ! $PY -c 'import torch' 2>/dev/null; then
    echo "PyTorch is missing: apt-get install -y python3-torch" >&2
    exit 1
fi
[ -f "$BUILD/libtsf.a" ] || { echo "build the library first: meson setup build && ninja -C build" >&2; exit 1; }
DNNL=
grep -q "cpu_onednn.c.o" "$BUILD/build.ninja" && DNNL=-ldnnl
${CC:-cc} -O2 -fopenmp -I"$ROOT/include" -I"$ROOT/src" "$ROOT/bench/neural_bench.c" \
    "$BUILD/libtsf.a" -o "$DRV" -lgsl -lopenblas -llapacke -lcsv -ljansson $DNNL -lm

field() { $PY -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
ratio() { if [ "$(echo "$2 == 0" | bc)" = 1 ]; then echo 0; else echo "$1 / $2" | bc -l; fi; }
WN=

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(nproc --all) cores;" \
     "bf16 instructions: $(grep -qw avx512_bf16 /proc/cpuinfo && echo yes || echo no)"
ISA=$(OMP_NUM_THREADS=1 ONEDNN_VERBOSE=1 "$DRV" transformer 64 1 4 64 8 1 1 1 bf16 2>/dev/null |
      grep -m1 'info,cpu,isa' | cut -d, -f4- || true)
echo "oneDNN (ONEDNN_VERBOSE): ${ISA:-not used (no oneDNN or no bf16)}"
echo "torch $($PY -c 'import torch; print(torch.__version__, torch.backends.mkldnn.is_available() and "mkldnn" or "")')"
echo "$STEPS timed steps each (after 2 warm-up steps); load $(cut -d' ' -f1 /proc/loadavg)"
echo "st/s = training steps per wall second (cpu: per CPU second of the process);"
echo "x = ratio (> 1: the first faster); MB = peak RSS"
# ARCH HIDDEN LAYERS HEADS CONTEXT BATCH (transformer-additive: attention=additive;
# transformer-cross: cross=true with two regressors; wavenet: HIDDEN = channels = skip, kernel 2)
for THREADS in $TLIST; do
    export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
    echo
    echo "== $THREADS thread(s)"
    printf '%-30s %8s %8s %6s %6s | %8s %6s %6s | %8s %6s | %6s %6s %6s %6s | %9s\n' model \
        "tsf32" "torch32" "x" "x cpu" "tsf16" "16/32" "cpu" "torch16" "x" "MB t32" "MB T32" \
        "MB t16" "MB T16" "samp/s"
    for cfg in "gru 32 2 1 128 32" "gru 128 2 1 128 32" "lstm 64 2 1 128 32" \
               "transformer 64 2 4 256 8" "transformer 64 2 4 256 32" \
               "transformer-cross 64 2 4 256 8" "transformer-cross 64 2 4 256 32" \
               "transformer-additive 64 2 4 256 8" \
               "wavenet 32 8 0 256 32" "wavenet 64 8 0 256 32"; do
        set -- $cfg
        case "$1 h=$2 B=$6" in "$ROWS"*) ;; *) continue ;; esac
        t=$("$DRV" "$1" "$2" "$3" "$4" "$5" "$6" "$STEPS" 200 24 fp32)
        p=$($PY "$ROOT/bench/neural_vs_torch.py" "$1" "$2" "$3" "$4" "$5" "$6" "$STEPS" "$THREADS")
        NONE='{"steps_per_s": 0, "cpu_steps_per_s": 0, "maxrss_mb": 0, "backend": "none"}'
        tb=$NONE
        pb=$NONE
        if [ "$BF16" != no ]; then
            tb=$("$DRV" "$1" "$2" "$3" "$4" "$5" "$6" "$STEPS" 200 24 bf16 2>/dev/null || echo "$NONE")
            pb=$($PY "$ROOT/bench/neural_vs_torch.py" "$1" "$2" "$3" "$4" "$5" "$6" "$STEPS" "$THREADS" bf16)
        fi
        ts=$(field "$t" steps_per_s); ps=$(field "$p" steps_per_s)
        tc=$(field "$t" cpu_steps_per_s); pc=$(field "$p" cpu_steps_per_s)
        bs=$(field "$tb" steps_per_s); qs=$(field "$pb" steps_per_s)
        bc=$(field "$tb" cpu_steps_per_s)
        printf '%-30s %8.2f %8.2f %5.2fx %5.2fx | %8.2f %5.2fx %5.2fx | %8.2f %5.2fx | %6.0f %6.0f %6.0f %6.0f | %9.0f\n' \
            "$1 h=$2 L=$3 T=$5 B=$6" "$ts" "$ps" "$(ratio "$ts" "$ps")" "$(ratio "$tc" "$pc")" \
            "$bs" "$(ratio "$bs" "$ts")" "$(ratio "$bc" "$tc")" "$qs" "$(ratio "$bs" "$qs")" \
            "$(field "$t" maxrss_mb)" "$(field "$p" maxrss_mb)" "$(field "$tb" maxrss_mb)" \
            "$(field "$pb" maxrss_mb)" "$(field "$t" sample_steps_per_s)"
        [ "$1" = wavenet ] && WN="$WN
$(printf '%-24s %2s %11.0f %11.0f %6.1fx' "$1 c=$2 L=$3" "$THREADS" "$(field "$t" sample_steps_per_s)" \
        "$(field "$t" recompute_sample_steps_per_s)" \
        "$(ratio "$(field "$t" sample_steps_per_s)" "$(field "$t" recompute_sample_steps_per_s)")")"
    done
done
echo
echo "wavenet sampling, paths x steps / s: queues (fast generation) vs recomputing the"
echo "receptive field at each step (200 paths x 24 steps)"
printf '%-24s %2s %11s %11s %7s' model th queues recompute ratio
echo "$WN"
echo
echo "tsf32/torch32: tsf fp32 (backend $(field "$t" backend)) vs PyTorch fp32; tsf16/torch16: tsf"
echo "--precision bf16 (backend $(field "$tb" backend 2>/dev/null || echo none)) vs PyTorch autocast bf16;"
echo "16/32 = tsf bf16 / tsf fp32 (cpu: per CPU second); samp/s = tsf fp32 forecast sampling, 200 paths x 24 steps"
