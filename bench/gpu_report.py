#!/usr/bin/env python3
"""Reads the JSON lines of bench/gpu_vs_torch.sh and prints markdown
tables: training and sampling throughput side by side, and the transformer
GEMMs' TFLOP/s as a share of the GPU's peak.  Peaks are NVIDIA's published
dense figures (H100 SXM5 / H200: FP32 67, TF32 495, BF16 989 TFLOP/s;
H100 PCIe: 51, 378, 756); override with --peak fp32,tf32,bf16."""
import json
import sys

PEAKS = {"H100 PCIe": (51.0, 378.0, 756.0), "H100": (67.0, 495.0, 989.0),
         "H200": (67.0, 495.0, 989.0)}
IDX = {"fp32": 0, "tf32": 1, "bf16": 2}


def peak_for(device, override):
    if override:
        return override
    for k in ("H100 PCIe", "H200", "H100"):
        if k in (device or ""):
            return PEAKS[k]
    return None


def main(argv):
    override = None
    files = []
    i = 1
    while i < len(argv):
        if argv[i] == "--peak":
            override = tuple(float(v) for v in argv[i + 1].split(","))
            i += 2
        else:
            files.append(argv[i])
            i += 1
    rows = []
    for f in files:
        with open(f) as fh:
            rows += [json.loads(l) for l in fh if l.strip().startswith("{")]
    device = next((r.get("device") for r in rows if r.get("device")), "unknown GPU")
    print(f"Device: {device}\n")
    print("| model | precision | implementation | train windows/s | ms/step | "
          "sample path-steps/s | final loss |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "train_windows_per_s" not in r and "error" not in r:
            continue
        if "tool" not in r:  # a run that printed nothing (gpu_vs_torch.sh's error line)
            print(f"| | | | failed: {r['error'][:80]} | | | |")
            continue
        prec = r.get("precision") or r.get("backend", "").replace("cuda-", "")
        impl = "tsf " + r["backend"] if r["tool"] == "tsf" else f"torch {r.get('mode')}"
        model = f"{r.get('arch')}(h={r.get('hidden')}, L={r.get('layers')}, " \
                f"T={r.get('context')}, B={r.get('batch')})"
        if "error" in r:
            print(f"| {model} | {prec} | {impl} | failed: {r['error'][:60]} | | | |")
            continue
        print(f"| {model} | {prec} | {impl} | {r['train_windows_per_s']:.0f} | "
              f"{r['ms_per_step']:.2f} | {r['sample_path_steps_per_s']:.0f} | "
              f"{r['final_loss']:.4f} |")
    pk = peak_for(device, override)
    print("\n| transformer block GEMMs | precision | implementation | TFLOP/s | share of peak |")
    print("|---|---|---|---|---|")
    for r in rows:
        if r.get("what") != "transformer block GEMMs":
            continue
        prec = r.get("precision") or r.get("backend", "").replace("cuda-", "")
        share = f"{100 * r['tflops'] / pk[IDX[prec]]:.1f}%" if pk else "peak unknown"
        impl = "tsf" if r["tool"] == "tsf" else "torch"
        print(f"| d={r['d']}, BT={r['BT']} | {prec} | {impl} | {r['tflops']:.1f} | {share} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
