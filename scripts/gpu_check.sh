#!/usr/bin/env bash
# All GPU checks of the neural layer in one run (issue #20), for a machine
# with an NVIDIA GPU that has no package registry: a build made elsewhere
# with `meson setup build-gpu -Dcuda=enabled -Dbuildtype=release
# -Dplots=disabled -Dmpi=disabled` and tsf's runtime libraries packed by
# `scripts/gpu_check.sh --pack` (into .gpu/libs.tar.xz) travel with the
# tree.  Writes at most 8 files under $OUT (default gpu-out/):
#   gpu.txt          nvidia-smi, driver, the libraries found
#   backend_ops.log  tests/test_backend_ops: every op against the CPU
#                    reference in fp32/tf32/bf16, 20-step loss curves
#   sanitizer.log    compute-sanitizer memcheck and racecheck over the op tests
#   truth.log        known-truth training on the GPU vs the CPU reference
#   bench.jsonl, bench.md   bench/gpu_vs_torch.sh (PyTorch on the same GPU)
#   summary.txt      one line per check: PASS/FAIL/SKIP and its time
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-gpu}

if [ "${1:-}" = --pack ]; then # on the build machine: the non-system libraries
    mkdir -p .gpu/libs
    # every library the programs that run there load: "NAME PATH" lines
    libs=$(for b in "$BUILD"/tsf "$BUILD"/tests/test_backend_ops "$BUILD"/tests/test_neural_truth \
                    "$BUILD"/tests/tsf_gpu_bench "$BUILD"/gpu/libtsf_cuda.so; do ldd "$b"; done |
           awk '/=>/ {print $1, $3}' | sort -u)
    system='^(libc|libm|libgcc_s|libstdc\+\+|libdl|libpthread|librt|libcuda|libcudart|libcublas|libcublasLt)\.so'
    echo "$libs" | grep -v -E "$system" |
        while read -r name path; do cp -L "$path" ".gpu/libs/$name"; done
    tar -C .gpu/libs -cJf .gpu/libs.tar.xz . && rm -rf .gpu/libs
    echo "packed $(echo "$libs" | grep -v -c -E "$system") libraries; left to the GPU machine:"
    echo "$libs" | grep -E "$system" | awk '{print "  " $1}'
    exit 0
fi

OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
SUM="$OUT/summary.txt"
: >"$SUM"
if [ -f .gpu/libs.tar.xz ]; then
    mkdir -p /tmp/tsf-libs && tar -C /tmp/tsf-libs -xJf .gpu/libs.tar.xz
    export LD_LIBRARY_PATH="/tmp/tsf-libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# cudart and cuBLAS 13: the toolkit's, else the ones pip installed for PyTorch
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
         $(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, s, "lib") for p in nvidia.__path__ for s in os.listdir(p)))' 2>/dev/null); do
    if ls "$d"/libcublas.so.13 "$d"/libcudart.so.13 >/dev/null 2>&1 ||
       ls "$d"/libcublasLt.so.13 >/dev/null 2>&1 || ls "$d"/libcudart.so.13 >/dev/null 2>&1; then
        export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"
    fi
done
export TSF_CUDA_MODULE="$PWD/$BUILD/gpu/libtsf_cuda.so"
export PATH="$PATH:/usr/local/cuda/bin"
{
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    ldd "$TSF_CUDA_MODULE" | grep -E 'cu|not found'
    ldd "$BUILD/tsf" | grep 'not found'
    nproc
} >"$OUT/gpu.txt" 2>&1

T=$BUILD/tests
check() { # check NAME LOG TIMEOUT COMMAND...: appends to LOG, one line to the summary
    local name=$1 log=$2 to=$3 t0 rc
    shift 3
    t0=$(date +%s)
    echo "=== $name: $*" >>"$log"
    timeout "$to" "$@" >>"$log" 2>&1
    rc=$?
    case $rc in 0) r=PASS ;; 77) r=SKIP ;; 124) r="TIMEOUT($to s)" ;; *) r="FAIL(rc=$rc)" ;; esac
    echo "$r $name ($(( $(date +%s) - t0 )) s)" >>"$SUM"
}

# CPU references of the known-truth trainings start at once, in the
# background (one thread each; they do not touch the GPU).
for a in gru transformer wavenet; do for c in ar2 tar; do
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 timeout 400 "$T/test_neural_truth" cpuref "$a" "$c" \
        >"/tmp/cpuref_${a}_$c.log" 2>&1 &
done; done

# 1. every op and the 20-step trainings, the GPU to itself
check backend_ops "$OUT/backend_ops.log" 150 "$T/test_backend_ops"

if [ -z "${SKIP_BENCH:-}" ]; then
# 4. the bench, the GPU to itself (its host threads share the CPUs with
#    the CPU references above: 16 cores, 6 busy)
t0=$(date +%s)
NO_BUILD=1 MODES=${MODES:-eager} BUILD=$BUILD STEPS=${STEPS:-20} DEBS=/nonexistent \
    timeout 200 bench/gpu_vs_torch.sh "$OUT/bench" >"$OUT/bench.log" 2>&1
echo "DONE($?) bench ($(( $(date +%s) - t0 )) s)" >>"$SUM"
cp "$OUT/bench/results.jsonl" "$OUT/bench.jsonl" 2>/dev/null
cp "$OUT/bench/report.md" "$OUT/bench.md" 2>/dev/null
{ echo "--- errors.log"; cat "$OUT/bench/errors.log" 2>/dev/null; echo "--- bench.log";
  tail -50 "$OUT/bench.log"; } >>"$OUT/bench.md"
rm -rf "$OUT/bench" "$OUT/bench.log"
fi

# 3. the GPU trainings (fp32, bf16) against the CPU references, and
# 2. compute-sanitizer over the op tests, side by side
wait # the CPU references
for a in gru transformer wavenet; do for c in ar2 tar; do
    ref=$(sed -n 's/.*cpu: held-out \([-0-9.e]*\) nats.*/\1/p' "/tmp/cpuref_${a}_$c.log")
    cat "/tmp/cpuref_${a}_$c.log" >>"$OUT/truth.log"
    if [ -n "$ref" ]; then
        check "truth_gpu_${a}_$c" "/tmp/truth_${a}_$c.log" 230 \
            "$T/test_neural_truth" gpu "$a" "$c" "$ref" &
    else
        echo "FAIL truth_cpuref_${a}_$c (no CPU value)" >>"$SUM"
    fi
done; done
if command -v compute-sanitizer >/dev/null; then
    check memcheck /tmp/memcheck.log 230 compute-sanitizer --tool memcheck --leak-check full \
        --error-exitcode 1 "$T/test_backend_ops" ops &
    check racecheck /tmp/racecheck.log 230 compute-sanitizer --tool racecheck \
        --error-exitcode 1 "$T/test_backend_ops" ops &
else
    echo "SKIP compute-sanitizer (not on PATH)" >>"$SUM"
fi
wait
for a in gru transformer wavenet; do for c in ar2 tar; do
    cat "/tmp/truth_${a}_$c.log" >>"$OUT/truth.log" 2>/dev/null
done; done
cat /tmp/memcheck.log /tmp/racecheck.log >"$OUT/sanitizer.log" 2>/dev/null
cat "$SUM"
