#!/bin/sh
# Where tsf's training step goes in fp32 and in bf16 (issue #19): per
# backend op and per GEMM kind, for the GEMM-heavy rows of
# bench/neural_vs_torch.sh (GRU-128, LSTM-64, transformer d=64 B=32), one
# thread, per CPU second (bench/neural_profile.c), and the bounds on tsf
# bf16 / tsf fp32 that follow from it.  Each row runs fp32, bf16 (the
# size rules of cpu_onednn.c) and "all bf16" (every product in bf16:
# cpu_onednn.c compiled with -DTSF_WS_ALL_BF16), ROUNDS times alternating
# (the machine is shared; the fastest of the rounds of each is kept).
#   bench/neural_profile.sh [ROUNDS=2] [STEPS=20]
#   (from the repository root, after `meson setup build && ninja -C build`)
set -eu
ROUNDS=2
STEPS=20
for a in "$@"; do
    case $a in
    ROUNDS=*) ROUNDS=${a#ROUNDS=} ;;
    STEPS=*) STEPS=${a#STEPS=} ;;
    *) echo "usage: $0 [ROUNDS=N] [STEPS=N]" >&2; exit 1 ;;
    esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PY=${PYTHON:-/usr/bin/python3}
grep -q "cpu_onednn.c.o" "$BUILD/build.ninja" || { echo "needs a build with oneDNN" >&2; exit 1; }
LIBS="-lgsl -lopenblas -llapacke -lcsv -ljansson -ldnnl -lm"
CFLAGS="-O2 -fopenmp -I$ROOT/include -I$ROOT/src -I$BUILD"
${CC:-cc} $CFLAGS "$ROOT/bench/neural_profile.c" "$BUILD/libtsf.a" -o "$BUILD/neural_profile" $LIBS
${CC:-cc} $CFLAGS -DTSF_WS_ALL_BF16 "$ROOT/bench/neural_profile.c" "$ROOT/src/neural/cpu_onednn.c" \
    "$BUILD/libtsf.a" -o "$BUILD/neural_profile_all" $LIBS
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
echo "load $(cut -d' ' -f1 /proc/loadavg); $STEPS steps, $ROUNDS rounds; ms per step (thread CPU)"
for row in "gru 128 2 1 128 32" "lstm 64 2 1 128 32" "transformer 64 2 4 256 32"; do
    steps=$STEPS
    case $row in transformer*) steps=$(( (STEPS + 3) / 4 )) ;; esac
    r=1
    while [ "$r" -le "$ROUNDS" ]; do
        for v in fp32 bf16 all; do
            if [ $v = all ]; then
                j=$("$BUILD/neural_profile_all" $row $steps bf16 | grep '^JSON ')
            else
                j=$("$BUILD/neural_profile" $row $steps $v | grep '^JSON ')
            fi
            echo "$row|$v|${j#JSON }" >> "$OUT"
        done
        r=$((r + 1))
    done
done
$PY - "$OUT" <<'PYEOF'
import json, sys
names = ["GEMM forward (B T rows)", "GEMM forward recurrent (B rows)",
         "GEMM backward data (B T)", "GEMM backward data recurrent (B)",
         "GEMM weight gradient", "bias gradient", "gate math forward",
         "gate math backward", "residual add", "zero", "copy/copy2d", "layernorm",
         "gelu", "attention", "head loss", "grad norm + AdamW"]
runs = {}
for line in open(sys.argv[1]):
    row, v, j = line.rstrip("\n").split("|", 2)
    d = json.loads(j)
    best = runs.get((row, v))
    if best is None or d["step"] < best["step"]:
        runs[(row, v)] = d
for row in dict.fromkeys(r for r, _ in runs):
    f, b, a = runs[(row, "fp32")], runs[(row, "bf16")], runs[(row, "all")]
    ng = f["ngemm"]
    print("\n%s (H L heads T B)     fp32 ms   %%     bf16 ms   %%   all-bf16 ms   fp32/all" % row)
    for k, nm in enumerate(names):
        if f["ms"][k] < 1e-3 and b["ms"][k] < 1e-3:
            continue
        print("  %-34s %7.3f %5.1f  %7.3f %5.1f  %7.3f   %5.2fx" % (
            nm, f["ms"][k], 100 * f["ms"][k] / f["step"], b["ms"][k],
            100 * b["ms"][k] / b["step"], a["ms"][k],
            f["ms"][k] / a["ms"][k] if a["ms"][k] > 0 else 0))
    of, ob = f["step"] - sum(f["ms"]), b["step"] - sum(b["ms"])
    print("  %-34s %7.3f %5.1f  %7.3f %5.1f" % ("other (unwrapped)", of, 100 * of / f["step"],
                                              ob, 100 * ob / b["step"]))
    gf = sum(f["ms"][:ng])
    rest = f["step"] - gf
    best = rest + sum(min(x, y) for x, y in zip(f["ms"][:ng], a["ms"][:ng]))
    print("  step: fp32 %.3f ms, bf16 %.3f ms: bf16/fp32 %.2fx; GEMMs %.1f%% of fp32" % (
        f["step"], b["step"], f["step"] / b["step"], 100 * gf / f["step"]))
    print("  bounds on bf16/fp32: every GEMM at the faster of its fp32 and all-bf16 times %.2fx;"
          " every GEMM 2x %.2fx; GEMMs free %.2fx" % (f["step"] / best, f["step"] / (rest + gf / 2),
                                                   f["step"] / rest))
PYEOF
