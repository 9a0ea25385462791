#!/bin/sh
# tsf's CUDA backend against PyTorch on the same GPU: training throughput
# (series windows/s) and sampling throughput (path-steps/s) of
#   GRU(hidden 64 and 256, 2 layers, context 128, batch 256)
#   transformer(d 256, 4 heads, 4 layers, context 512, batch 64)
#   wavenet(64 channels, 8 layers, context 512, batch 64)
# in FP32 and BF16 (PyTorch eager, and torch.compile where it works), and
# the transformer block GEMMs' TFLOP/s as a share of the GPU's peak.
#
# Runs offline on a GPU machine (see docs/gpu.md):
#   bench/gpu_vs_torch.sh [OUTDIR]      (default build-gpu/bench)
# MODES="eager compile" (default) picks PyTorch's modes (torch.compile
# costs about a minute of compiling per row); NO_BUILD=1 uses $BUILD as it
# is (a build made on another machine and carried).
# Needs: the CUDA toolkit (nvcc), meson, ninja, tsf's build dependencies,
# python3 with torch.  Missing Debian packages (tsf's -dev dependencies,
# python3-torch) can be carried as .deb files in $DEBS (default .debs/):
# they are unpacked with dpkg -x into $DEPS_ROOT and put on the search paths.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-gpu}
OUT=${1:-$BUILD/bench}
DEBS=${DEBS:-.debs}
DEPS_ROOT=${DEPS_ROOT:-/tmp/tsf-deps}
STEPS=${STEPS:-20}
MODES=${MODES:-eager compile}
mkdir -p "$OUT"

if ls "$DEBS"/*.deb >/dev/null 2>&1; then
    mkdir -p "$DEPS_ROOT"
    for f in "$DEBS"/*.deb; do dpkg -x "$f" "$DEPS_ROOT"; done
    M=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
    export CPATH="$DEPS_ROOT/usr/include:$DEPS_ROOT/usr/include/$M${CPATH:+:$CPATH}"
    export LIBRARY_PATH="$DEPS_ROOT/usr/lib/$M:$DEPS_ROOT/usr/lib${LIBRARY_PATH:+:$LIBRARY_PATH}"
    export LD_LIBRARY_PATH="$DEPS_ROOT/usr/lib/$M:$DEPS_ROOT/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export PKG_CONFIG_PATH="$DEPS_ROOT/usr/lib/$M/pkgconfig:$DEPS_ROOT/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export PYTHONPATH="$DEPS_ROOT/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}"
fi

PATH="$PATH:/usr/local/cuda/bin"
if [ -z "${NO_BUILD:-}" ]; then
    [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" -Dcuda=enabled -Dbuildtype=release
    ninja -C "$BUILD"
fi
BENCH="$BUILD/tests/tsf_gpu_bench"
export TSF_CUDA_MODULE="$PWD/$BUILD/gpu/libtsf_cuda.so"
PY=${PYTHON:-python3}

nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv >"$OUT/gpu.txt" 2>&1 || true
: >"$OUT/results.jsonl"
run() { # appends one JSON line, or an error line, to results.jsonl
    if "$@" >>"$OUT/results.jsonl" 2>>"$OUT/errors.log"; then :; else
        echo "{\"error\": \"$* failed (see errors.log)\"}" >>"$OUT/results.jsonl"; fi
}
for prec in fp32 bf16; do
    for h in 64 256; do
        run "$BENCH" train gru "$h" 2 0 128 256 cuda "$prec" "$STEPS"
        for mode in $MODES; do
            run $PY bench/gpu_vs_torch.py train gru "$h" 2 0 128 256 "$prec" "$mode" "$STEPS"
        done
    done
    run "$BENCH" train transformer 256 4 4 512 64 cuda "$prec" "$STEPS"
    for mode in $MODES; do
        run $PY bench/gpu_vs_torch.py train transformer 256 4 4 512 64 "$prec" "$mode" "$STEPS"
    done
    run "$BENCH" train wavenet 64 8 0 512 64 cuda "$prec" "$STEPS"
    for mode in $MODES; do
        run $PY bench/gpu_vs_torch.py train wavenet 64 8 0 512 64 "$prec" "$mode" "$STEPS"
    done
done
for prec in fp32 tf32 bf16; do
    run "$BENCH" gemm 256 512 64 cuda "$prec"
    run $PY bench/gpu_vs_torch.py gemm 256 512 64 "$prec"
done
$PY bench/gpu_report.py "$OUT/results.jsonl" | tee "$OUT/report.md"
