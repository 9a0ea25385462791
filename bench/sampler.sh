#!/bin/sh
# Ancestral vs parallel (fixed-point) sampling of neural forecasts: wall
# time of 200 paths after a real series (sunspot_month, 3177 values) at
# h = 24, 96, 336, 384, the ratio ancestral/parallel (above 1: parallel is
# faster), the number of fixed-point iterations, the number of values in
# which the two samplers' paths (same seed) differ in any bit (0: the
# batch-invariant inference kernels, docs/neural.md "Sampling") and the
# largest relative difference.
#   bench/sampler.sh [EPOCHS]     (from the repository root, after
#   `meson setup build && ninja -C build`; BUILD=dir for another build;
#   BASE=dir: also a base build's rows at h = 24, 96 ("base"), run just
#   before each model's own, for the ancestral time before/after a change)
# Then the invariant product against OpenBLAS at the step's shapes
# (invariant_bench).
# The models are fitted first (seed 1, EPOCHS epochs, default 3).  One
# BLAS thread: the CPU reference.  The iteration counts depend on the
# fitted network (how fast a change of one value dies out downstream).
set -eu
EPOCHS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
[ -x "$BUILD/sampler_bench" ] || { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
echo "$(nproc --all) cores, load $(cut -d' ' -f1 /proc/loadavg); 200 paths; one BLAS thread"
for spec in "transformer(d=32, heads=4, layers=2, context=32)" "wavenet" \
            "transformer(d=32, heads=4, layers=2, context=32, head=student-t)" \
            "wavenet(head=binned)"; do
    if [ -n "${BASE:-}" ]; then
        "$BASE/sampler_bench" "$spec" "$ROOT/datasets/sunspot_month.csv" "$EPOCHS" 200 24 96 |
            while read -r line; do echo "base $spec $line"; done
    fi
    "$BUILD/sampler_bench" "$spec" "$ROOT/datasets/sunspot_month.csv" "$EPOCHS" 200 24 96 336 384 |
        while read -r line; do echo "$spec $line"; done
done
[ -x "$BUILD/invariant_bench" ] && "$BUILD/invariant_bench"
