#!/bin/sh
# Pruned sparse weights (docs/neural.md, "Pruned sparse weights"): each row
# fits a dense spec and the same spec with sparsity=0.9 (seed 1, EPOCHS
# epochs, default 10; EPOCHS_256 for the hidden/d = 256 rows, default EPOCHS)
# on the first 80% of a series and reports, from the
# same run, the held-out log-likelihood per observation of the last 20%
# (nll_gap = sparse - dense, nats/obs; the goal is <= 0.03), the fraction
# of exact zeros in the pruned model's matrices of > 1000 entries (goal
# >= 0.85) and each one's fraction of nonzero 8x1 blocks (block_densities:
# at most 0.15 for the batched kernel to serve sampling), and the CPU time of one tsf_state_update and of a 200-path,
# 24-step forecast from a streaming state, dense over sparse (goal >= 3).
# First the kernel alone: block-sparse (8x1 blocks) against the dense
# BLAS product on the same zeroed weights, by block density.
#   bench/prune.sh [EPOCHS [EPOCHS_256]]     (from the repository root, after
#   `meson setup build && ninja -C build`; BUILD=dir for another build)
# Series: datasets/sunspot_month.csv and a simulated threshold AR (Tong
# 1990; the known-truth series of tests/test_neural_truth.c, 4000 values,
# written by /usr/bin/python3 with numpy).  One BLAS thread.
set -eu
EPOCHS=${1:-10}
EPOCHS_256=${2:-$EPOCHS}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
B="$BUILD/prune_bench"
[ -x "$B" ] || { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 - "$TMP/tar.csv" <<'PY'
import sys, numpy as np
r = np.random.default_rng(2024)
a, y, ll = 0.0, [], 0.0
for t in range(4100):
    mu, sd = (1.0 + 0.6 * a, 1.0) if a <= 0.0 else (-0.5 * a, 0.4)
    v = mu + sd * r.standard_normal()
    if t >= 100:
        y.append(v)
        if t - 100 >= 3200:
            ll += -0.5 * np.log(2 * np.pi * sd * sd) - 0.5 * ((v - mu) / sd) ** 2
    a = v
with open(sys.argv[1], "w") as f:
    f.write("t,y\n")
    for i, v in enumerate(y):
        f.write(f"{i + 1},{v:.17g}\n")
print(f"threshold AR: {len(y)} values, true held-out nll {-ll / 800:.4f} nats/obs",
      file=sys.stderr)
PY
echo "$(nproc --all) cores, load $(cut -d' ' -f1 /proc/loadavg); one BLAS thread; epochs $EPOCHS"
echo "== kernel: BSR (8x1 blocks) vs dense on the same weights"
"$B" kernel
echo "== models: dense vs sparsity=0.9"
row() { "$B" fit "$1" "$2" "$3" "$4"; }
row "gru(hidden=128)" "gru(hidden=128, sparsity=0.9)" "$TMP/tar.csv" "$EPOCHS"
for spec in "gru(hidden=256)" "transformer(d=256)"; do
    sp="${spec%)}, sparsity=0.9)"
    row "$spec" "$sp" "$ROOT/datasets/sunspot_month.csv" "$EPOCHS_256"
    row "$spec" "$sp" "$TMP/tar.csv" "$EPOCHS_256"
done
