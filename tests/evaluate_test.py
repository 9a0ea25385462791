#!/usr/bin/env python3
"""tsf evaluate end to end: every measure against a value computed here by
hand (a random walk, arima(0,1,0), whose forecasts are known in closed
form), the -o rows against the summary, failures counted, bad input.
Standard library only.  Usage: evaluate_test.py TSF_BINARY SOURCE_DIR"""
import csv, io, json, math, os, subprocess, sys, tempfile
from statistics import NormalDist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cliutil
from cliutil import run, check

cliutil.setup(sys.argv)
tmp = cliutil.tmp
N = NormalDist()


def close(name, got, want, rel=1e-7):
    check(name, got is not None and abs(got - want) <= rel * max(1.0, abs(want)),
          f"got {got}, expected {want}")


a = [10, 12, 11, 13, 15, 14, 16, 18, 17, 19, 21, 20]
b = [5, 5, 6, 7, 7, 8, 8, 9, 10, 11, 11, 13]
wide = os.path.join(tmp, "two.csv")
with open(wide, "w") as f:
    f.write("a,b\n" + "".join(f"{x},{y}\n" for x, y in zip(a, b)))
H, K, S = 3, 3, 2
levels = [80, 95]


def by_hand(y, T):
    """Random-walk forecast from y[:T] scored on y[T:T+H]: the ML variance
    of arima(0,1,0) is the mean squared difference."""
    d = [y[i] - y[i - 1] for i in range(1, T)]
    s2 = sum(x * x for x in d) / len(d)
    s = math.sqrt(s2)
    f, out = y[T - 1], y[T:T + H]
    se = [s * math.sqrt(h + 1) for h in range(H)]
    r = {}
    r["smape"] = 200 / H * sum(abs(x - f) / (abs(x) + abs(f)) for x in out)
    mae_in = sum(abs(x) for x in d) / len(d)
    mse_in = sum(x * x for x in d) / len(d)
    r["mase"] = sum(abs(x - f) for x in out) / H / mae_in
    r["rmsse"] = math.sqrt(sum((x - f) ** 2 for x in out) / H / mse_in)
    crps = 0
    for x, sd in zip(out, se):
        z = (x - f) / sd
        crps += sd * (z * (2 * N.cdf(z) - 1) + 2 * N.pdf(z) - 1 / math.sqrt(math.pi))
    r["crps"] = crps / H
    # exact joint log density: independent N(0, s2) increments
    prev, ll = f, 0
    for x in out:
        ll += math.log(N.pdf((x - prev) / s) / s)
        prev = x
    r["log_score"] = ll / H
    for L in levels:
        z = N.inv_cdf(0.5 + L / 200)
        r[f"coverage{L}"] = sum(f - z * sd <= x <= f + z * sd for x, sd in zip(out, se)) / H
        r[f"width{L}"] = sum(2 * z * sd for sd in se) / H
    return r


out_csv = os.path.join(tmp, "rows.csv")
code, out, err = run(["evaluate", "-m", "arima(0,1,0)", "-m", "theta", "-m",
                      "combo(arima(0,1,0), arima(0,1,0))", "-h", str(H), "--origins", str(K),
                      "--step", str(S), "--threads", "2", "-o", out_csv, "--json", wide])
check("evaluate status", code == 0, f"{code} {err}")
summary = json.loads(out)
rows = list(csv.DictReader(open(out_csv)))
check("row count", len(rows) == 2 * 3 * K, str(len(rows)))
check("spec order", [m["spec"] for m in summary["models"]] ==
      ["arima(0,1,0)", "theta", "combo(arima(0,1,0), arima(0,1,0))"], out[:200])
names = ["smape", "mase", "rmsse", "crps", "log_score"] + \
        [f"{w}{L}" for L in levels for w in ("coverage", "width")]
# every measure of the random walk by hand, at every origin of both series
for r in rows:
    if r["model"] != "arima(0,1,0)":
        continue
    y = a if r["id"] == "a" else b
    o = int(r["origin"])
    T = len(y) - H - (K - o) * S
    check("train_n", int(r["train_n"]) == T, f"{r['train_n']} vs {T}")
    want = by_hand(y, T)
    for k in names:
        close(f"{r['id']} origin {o} {k}", float(r[k]), want[k])
# the summary is the mean of the rows, per model
for m in summary["models"]:
    mine = [r for r in rows if r["model"] == m["spec"]]
    check("failed", m["failed"] == 0 and m["rows"] == 2 * K, str(m))
    for k in ["smape", "mase", "rmsse", "crps", "log_score"]:
        close(f"summary {m['spec']} {k}", m[k], sum(float(r[k]) for r in mine) / len(mine), 1e-8)
    for L in levels:
        close(f"summary {m['spec']} cov{L}", m["coverage"][str(L)],
              sum(float(r[f"coverage{L}"]) for r in mine) / len(mine), 1e-8)
        close(f"summary {m['spec']} width{L}", m["width"][str(L)],
              sum(float(r[f"width{L}"]) for r in mine) / len(mine), 1e-8)
    close(f"summary seconds {m['spec']}", m["seconds"], sum(float(r["seconds"]) for r in mine),
          1e-3)
# A mixture of two equal random walks is the random walk; its CRPS comes
# from quantiles (tau = 0.01, 0.03, ..., 0.99; docs/evaluate.md) and must
# equal that sum computed here, and be near the closed form.
for r in rows:
    if not r["model"].startswith("combo"):
        continue
    y = a if r["id"] == "a" else b
    T = int(r["train_n"])
    d = [y[i] - y[i - 1] for i in range(1, T)]
    s = math.sqrt(sum(x * x for x in d) / len(d))
    f, q = y[T - 1], 0
    for h, x in enumerate(y[T:T + H]):
        for j in range(50):
            tau = (j + 0.5) / 50
            qt = f + s * math.sqrt(h + 1) * N.inv_cdf(tau)
            q += ((x < qt) - tau) * (qt - x)
    close(f"quantile crps {r['id']} {r['origin']}", float(r["crps"]), 2 * q / 50 / H, 1e-6)
    close(f"quantile crps near normal {r['id']}", float(r["crps"]), by_hand(y, T)["crps"], 0.01)
    close(f"mixture log score {r['id']}", float(r["log_score"]), by_hand(y, T)["log_score"], 1e-9)

# The human table: ranked, one line per model; same numbers with 1 thread.
code, out, err = run(["evaluate", "-m", "theta", "-m", "arima(0,1,0)", "-h", "3", "--origins",
                      "3", "--step", "2", "--threads", "1", wide])
check("table status", code == 0, err)
lines = [l for l in out.splitlines() if l[:1].isdigit()]
check("table rows", len(lines) == 2, out)
check("ranked by MASE", float(lines[0].split()[3]) <= float(lines[1].split()[3]), out)

# Failures are counted, never fatal: a series too short for the origins.
short = os.path.join(tmp, "short.csv")
with open(short, "w") as f:
    f.write("id,time,value\n" + "".join(f"x,{i},{v}\n" for i, v in enumerate(a)) +
            "".join(f"s,{i},{v}\n" for i, v in enumerate(b[:6])))
code, out, err = run(["evaluate", "-m", "arima(0,1,0)", "-h", "3", "--origins", "3", "--step",
                      "2", "--format", "long", "--json", short])
check("partial status", code == 3, f"{code} {err}")
m = json.loads(out)["models"][0] if out else {}
check("failed counted", m.get("failed") == 3 and m.get("rows") == 6, out[:300])
check("failure message", "1 of" not in err and "3 of 6 fits failed" in err, err)


def bad(name, args, *needles):
    code, out, err = run(args)
    check(name + " status", code == 1, f"{code} {err}")
    check(name + " one line", err.count("\n") == 1 and err.startswith("tsf: "), repr(err))
    for n in needles:
        check(name + " message", n in err, f"{err!r} lacks {n!r}")
    check(name + " no stdout", out == "", out[:100])


bad("origins too many", ["evaluate", "-m", "theta", "-h", "3", "--origins", "6", wide],
    "--origins 6", "at least 21", "longest has 12")
bad("origins too many long", ["evaluate", "-m", "theta", "-h", "3", "--origins", "9",
                              "--format", "long", short], "at least", "longest has 12")
bad("empty combo", ["evaluate", "-m", "combo()", "-h", "3", wide], "at least one member",
    "column 6")
bad("nested too deep", ["evaluate", "-m", "combo(combo(combo(combo(combo(combo(theta))))))",
                        "-h", "3", wide], "nested too deeply")
bad("inner spec error", ["evaluate", "-m", "combo(theta, arima(1,1))", "-h", "3", wide],
    "combo(theta, arima(1,1))", "column 19")
bad("no horizon", ["evaluate", "-m", "theta", wide], "-h")
bad("bad origins", ["evaluate", "-m", "theta", "-h", "3", "--origins", "0", wide], "--origins")
check("no partial -o", not os.path.exists(os.path.join(tmp, "never.csv")))
code, out, err = run(["evaluate", "-m", "theta", "-h", "3", "--origins", "6", "-o",
                      os.path.join(tmp, "never.csv"), wide])
check("no -o file on error", code == 1 and not os.path.exists(os.path.join(tmp, "never.csv")),
      f"{code}")

cliutil.finish()
