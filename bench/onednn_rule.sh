#!/bin/sh
# The size rule of the bf16 products with a workspace (cpu_onednn.c,
# ws_fwd_bf16 / ws_dinp_bf16): times each product of the shapes the
# networks use, one call at a time (the fastest of many: the machine is
# shared), through the fp32 table (dnnl_sgemm) and through the bf16
# workspace with every product in bf16 (cpu_onednn.c compiled with
# -DTSF_WS_ALL_BF16), and prints the ratio (> 1: bf16 faster).
#   bench/onednn_rule.sh   (from the repository root, after ninja -C build)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
DRV=$BUILD/onednn_rule
${CC:-cc} -O2 -fopenmp -DTSF_WS_ALL_BF16 -I"$ROOT/include" -I"$ROOT/src" -I"$BUILD" \
    "$ROOT/bench/onednn_rule.c" "$ROOT/src/neural/cpu_onednn.c" "$BUILD/libtsf.a" -o "$DRV" \
    -lgsl -lopenblas -llapacke -lcsv -ljansson -ldnnl -lm
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
echo "load $(cut -d' ' -f1 /proc/loadavg); BT C OC: (BT,C) @ (C,OC) forward, (BT,OC) @ (OC,C) backward data,"
echo "(OC,BT) @ (BT,C) weight gradient; GRU/LSTM recurrent and input maps, transformer d=64 B=32"
for op in 0 1 2; do
    for s in "32 128 384" "32 64 256" "32 32 96" "32 16 48" "4096 128 384" "4096 2 384" \
             "4096 128 2" "8192 64 192" "8192 64 64" "8192 64 256" "8192 256 64" "8192 64 32"; do
        "$DRV" $s $op
    done
done
