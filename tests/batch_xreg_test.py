#!/usr/bin/env python3
"""tsf batch and tsf evaluate with --xreg, end to end: each series of a
long file forecast by batch equals the same series forecast alone by
tsf forecast --xreg (same loglik, same forecasts and intervals);
evaluate --xreg scored against a hand computation (regression with
random-walk errors, arima(0,1,0) with one regressor, whose ML fit and
forecasts are closed forms); per-series failures (future file missing a
series, too few future rows) and bad input (unknown column, missing
cell, named columns with a wide file) as one-line errors.
Standard library only.  Usage: batch_xreg_test.py TSF_BINARY SOURCE_DIR"""
import csv, json, math, os, sys
from statistics import NormalDist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cliutil
from cliutil import run, check, bad

cliutil.setup(sys.argv)
tmp = cliutil.tmp
N = NormalDist()


def close(name, got, want, rel=1e-7):
    ok = got is not None and want is not None and abs(got - want) <= rel * max(1.0, abs(want))
    check(name, ok, f"got {got}, expected {want}")


def lcg(seed):
    """A small deterministic N(0,1)-ish stream (sum of 12 uniforms - 6)."""
    s = seed
    while True:
        v = 0.0
        for _ in range(12):
            s = (1103515245 * s + 12345) % 2**31
            v += s / 2**31
        yield v - 6.0


def month(i):
    return f"{2000 + i // 12}-{i % 12 + 1:02d}"


# ---- three series y = 3 + 2 x1 - x2 + AR(1) noise, monthly ----------------
H = 4
series = {}
for k, (sid, n) in enumerate([("a", 60), ("b", 48), ("c", 72)]):
    g = lcg(7 + k)
    x1 = [math.sin(i / 5.0 + k) + 0.3 * next(g) for i in range(n + H)]
    x2 = [(i % 7) / 3.0 + 0.2 * next(g) for i in range(n + H)]
    e, y = 0.0, []
    for i in range(n):
        e = 0.6 * e + next(g)
        y.append(round(3 + 2 * x1[i] - x2[i] + e, 6))
    series[sid] = (y, [round(v, 6) for v in x1], [round(v, 6) for v in x2])

long_csv = os.path.join(tmp, "long.csv")
fut_csv = os.path.join(tmp, "future.csv")
with open(long_csv, "w") as f, open(fut_csv, "w") as g:
    f.write("id,time,value,x1,x2\n")
    g.write("id,time,x1,x2\n")
    for sid, (y, x1, x2) in series.items():
        for i, v in enumerate(y):
            f.write(f"{sid},{month(i)},{v},{x1[i]},{x2[i]}\n")
        for i in range(len(y), len(y) + H):
            g.write(f"{sid},{month(i)},{x1[i]},{x2[i]}\n")
# each series alone, as tsf forecast reads it
for sid, (y, x1, x2) in series.items():
    with open(os.path.join(tmp, f"{sid}.csv"), "w") as f:
        f.write("time,value,x1,x2\n")
        f.writelines(f"{month(i)},{v},{x1[i]},{x2[i]}\n" for i, v in enumerate(y))
    with open(os.path.join(tmp, f"{sid}_future.csv"), "w") as f:
        f.write("time,x1,x2\n")
        f.writelines(f"{month(i)},{x1[i]},{x2[i]}\n" for i in range(len(y), len(y) + H))


def rows_of(path):
    with open(path) as f:
        return list(csv.DictReader(f))


for spec, xreg in [("arima(1,0,0)", "x1,x2"), ("arima(1,0,0)", "x1,fourier(12,1)"),
                   ("auto", "x2,x1")]:
    out, summ = os.path.join(tmp, "out.csv"), os.path.join(tmp, "sum.json")
    code, _, err = run(["batch", "-m", spec, "--xreg", xreg, "--xreg-future", fut_csv, "-h",
                        str(H), "--format", "long", "-o", out, "--summary", summ, "--threads",
                        "2", long_csv])
    check(f"batch {spec} --xreg {xreg} exit", code == 0, err)
    if code != 0:
        continue
    rows = rows_of(out)
    with open(summ) as f:
        ll = {r["id"]: r["loglik"] for r in json.load(f)["results"]}
    for sid in series:
        code, o, err = run(["forecast", "-m", spec, "--xreg", xreg, "--xreg-future",
                            os.path.join(tmp, f"{sid}_future.csv"), "-h", str(H), "-c", "value",
                            "--json", os.path.join(tmp, f"{sid}.csv")])
        check(f"forecast {sid} exit", code == 0, err)
        code2, o2, err2 = run(["fit", "-m", spec, "--xreg", xreg, "-c", "value", "--json",
                               os.path.join(tmp, f"{sid}.csv")])
        check(f"fit {sid} exit", code2 == 0, err2)
        if code or code2:
            continue
        fc, fit = json.loads(o), json.loads(o2)
        mine = [r for r in rows if r["id"] == sid]
        check(f"{spec} {xreg} {sid}: {H} rows", len(mine) == H, str(mine))
        for i, r in enumerate(mine[:H]):
            check(f"{sid} time {i}", r["time"] == month(len(series[sid][0]) + i), r["time"])
            close(f"{spec} {xreg} {sid} mean {i}", float(r["mean"]), fc["mean"][i], 1e-8)
            close(f"{spec} {xreg} {sid} lo95 {i}", float(r["lo95"]), fc["lower"]["95"][i], 1e-8)
            close(f"{spec} {xreg} {sid} hi80 {i}", float(r["hi80"]), fc["upper"]["80"][i], 1e-8)
        close(f"{spec} {xreg} {sid} loglik", ll[sid], fit["loglik"], 1e-9)

# A network with regressors runs through batch too (finite rows for each).
out = os.path.join(tmp, "nn.csv")
code, _, err = run(["batch", "-m", "gru(hidden=4,layers=1,context=8)", "--epochs", "1",
                    "--samples", "50", "--seed", "1", "--xreg", "x1,fourier(12,1)",
                    "--xreg-future", fut_csv, "-h", str(H), "--format", "long", "-o", out,
                    long_csv])
check("batch gru --xreg exit", code == 0, err)
if code == 0:
    rows = rows_of(out)
    check("batch gru rows", len(rows) == 3 * H and all(r["error"] == "" for r in rows), str(rows))

# A global network with regressors: batch --global --xreg, its saved model
# forecasting one series (forecast --model --series) gives the same rows.
out, gm = os.path.join(tmp, "g.csv"), os.path.join(tmp, "g.safetensors")
code, _, err = run(["batch", "-m", "gru(hidden=8,layers=1,context=8)", "--global", "--epochs",
                    "3", "--samples", "100", "--seed", "2", "--xreg", "x1,fourier(12,1)",
                    "--xreg-future", fut_csv, "-h", str(H), "--format", "long", "-o", out,
                    "--save-model", gm, "--quiet", long_csv])
check("batch --global --xreg exit", code == 0, err)
if code == 0:
    rows = [r for r in rows_of(out) if r["id"] == "b"]
    code, o, err = run(["forecast", "--model", gm, "--series", "b", "--xreg", "x1,fourier(12,1)",
                        "--xreg-future", os.path.join(tmp, "b_future.csv"), "-h", str(H),
                        "--samples", "100", "--seed", "2", "-c", "value", "--json",
                        os.path.join(tmp, "b.csv")])
    check("forecast --model --series b exit", code == 0, err)
    if code == 0:
        fc = json.loads(o)
        for i in range(H):
            close(f"global b mean {i}", float(rows[i]["mean"]), fc["mean"][i], 1e-8)
    # the model needs the regressors it was trained with
    bad("global model without --xreg-future", ["forecast", "--model", gm, "--series", "b",
                                               "--xreg", "x1,fourier(12,1)", "-h", "2", "-c",
                                               "value", os.path.join(tmp, "b.csv")], 1,
        "--xreg-future")

# evaluate --global --xreg: one network per origin on the cut series and
# their regressor rows; every row scored
out = os.path.join(tmp, "eg.csv")
code, table, err = run(["evaluate", "-m", "gru(hidden=8,layers=1,context=8)", "--global", "--epochs",
                    "2", "--samples", "50", "--seed", "1", "--xreg", "x1,x2", "-h", "3",
                    "--origins", "2", "--format", "long", "--quiet", "-o", out, long_csv])
check("evaluate --global --xreg exit", code == 0, err)
# a global model has no per-series log score: NA in the table, never nan
rowtok = [l.split() for l in table.splitlines() if l.startswith("1 ")]
check("evaluate --global table NA", "nan" not in table.split() and len(rowtok) == 1 and
      rowtok[0][-3] == "NA", table)
if code == 0:
    rows = rows_of(out)
    check("evaluate --global --xreg rows", len(rows) == 6 and
          all(r["error"] == "" and r["mase"] != "" for r in rows), str(rows))

# ---- per-series failures: the others still forecast, exit 3 --------------
part = os.path.join(tmp, "part_future.csv")
with open(fut_csv) as f:
    lines = f.readlines()
out = os.path.join(tmp, "part.csv")
with open(part, "w") as g:   # b absent, c one row short
    g.write(lines[0])
    g.writelines(l for l in lines[1:] if l.startswith("a,"))
    g.writelines([l for l in lines[1:] if l.startswith("c,")][:H - 1])
code, _, err = run(["batch", "-m", "arima(1,0,0)", "--xreg", "x1", "--xreg-future", part, "-h",
                    str(H), "--format", "long", "-o", out, long_csv])
check("partial future exit 3", code == 3, err)
if os.path.exists(out):
    rows = rows_of(out)
    check("a forecast", sum(r["id"] == "a" and r["error"] == "" for r in rows) == H, str(rows))
    rb = [r for r in rows if r["id"] == "b"]
    check("b fails alone", len(rb) == 1 and "no rows for series 'b'" in rb[0]["error"], str(rb))
    rc = [r for r in rows if r["id"] == "c"]
    check("c fails alone", len(rc) == 1 and f"{H - 1} rows of future regressors" in
          rc[0]["error"], str(rc))
# generated terms need no future file, and a wide file takes them
wide = os.path.join(tmp, "wide.csv")
with open(wide, "w") as f:
    f.write("time,a,c\n")
    ya, yc = series["a"][0], series["c"][0]
    f.writelines(f"{month(i)},{ya[i] if i < len(ya) else ''},{yc[i]}\n" for i in range(len(yc)))
with open(os.path.join(tmp, "a_only.csv"), "w") as f:
    f.write("time,a\n" + "".join(f"{month(i)},{v}\n" for i, v in enumerate(ya)))
out = os.path.join(tmp, "wide_out.csv")
code, _, err = run(["batch", "-m", "arima(1,0,0)", "--xreg", "fourier(12,2),trend", "-h", "3",
                    "-o", out, wide])
check("wide fourier exit", code == 0, err)
code2, o, err2 = run(["forecast", "-m", "arima(1,0,0)", "--xreg", "fourier(12,2),trend", "-h",
                      "3", "-c", "c", "--json", wide])
check("forecast c fourier", code2 == 0, err2)
if code == 0 and code2 == 0:
    rc = [r for r in rows_of(out) if r["id"] == "c"]
    for i in range(3):
        close(f"wide fourier c mean {i}", float(rc[i]["mean"]), json.loads(o)["mean"][i], 1e-8)

# ---- bad input: one line, exit 1 -----------------------------------------
L = ["--format", "long"]
bad("unknown column", ["batch", "-m", "arima(1,0,0)", "--xreg", "x9", "--xreg-future", fut_csv,
                       "-h", "2", *L, long_csv], 1, "x9", "x1, x2")
bad("named column in a wide file", ["batch", "-m", "arima(1,0,0)", "--xreg", "x1", "-h", "2",
                                    wide], 1, "x1", "long")
bad("named column evaluate wide", ["evaluate", "-m", "arima(1,0,0)", "--xreg", "x1", "-h", "2",
                                   wide], 1, "x1", "long")
bad("columns without a future file", ["batch", "-m", "arima(1,0,0)", "--xreg", "x1", "-h", "2",
                                      *L, long_csv], 1, "--xreg-future")
hole = os.path.join(tmp, "hole.csv")
with open(long_csv) as f, open(hole, "w") as g:
    ls = f.readlines()
    ls[5] = ",".join(ls[5].split(",")[:3] + ["", ls[5].split(",")[4]])
    g.writelines(ls)
bad("missing regressor cell", ["batch", "-m", "arima(1,0,0)", "--xreg", "x1", "--xreg-future",
                               fut_csv, "-h", "2", *L, hole], 1, "hole.csv:6", "column 4", "x1",
    "missing")
bad("missing cell evaluate", ["evaluate", "-m", "arima(1,0,0)", "--xreg", "x1", "-h", "2", *L,
                              hole], 1, "hole.csv:6", "column 4")
with open(hole, "w") as g:
    ls[5] = ",".join(ls[5].split(",")[:3] + ["abc", ls[5].split(",")[4]])
    g.writelines(ls)
bad("non-numeric regressor cell", ["batch", "-m", "arima(1,0,0)", "--xreg", "x1",
                                   "--xreg-future", fut_csv, "-h", "2", *L, hole], 1,
    "hole.csv:6", "'abc'")
bad("future file lacks a column", ["batch", "-m", "arima(1,0,0)", "--xreg", "x1,x3",
                                   "--xreg-future", fut_csv, "-h", "2", *L, long_csv], 1, "x3")
bad("evaluate --xreg-future", ["evaluate", "-m", "arima(1,0,0)", "--xreg", "x1",
                               "--xreg-future", fut_csv, "-h", "2", *L, long_csv], 1,
    "--xreg-future")

# ---- evaluate --xreg against a hand computation --------------------------
# y_t = b x_t + u_t with u a random walk: arima(0,1,0) with regressor x.
# Differenced, dy_t = b dx_t + w_t, w iid N(0, s2): ML b is least squares
# through the origin and s2 the mean squared residual; the forecast from
# origin T is y_T + b (x_{T+h} - x_T) with standard error s sqrt(h).
xs = [0.5, 1.9, 0.3, 2.2, 1.1, 3.0, 0.7, 2.5, 1.6, 0.2, 2.8, 1.3, 0.9, 2.0]
ys = [1.0, 3.9, 1.2, 5.1, 3.0, 7.2, 3.5, 7.1, 5.8, 3.4, 8.9, 6.2, 5.9, 8.3]
tiny = os.path.join(tmp, "tiny.csv")
with open(tiny, "w") as f:
    f.write("id,value,x\n" + "".join(f"s,{y},{x}\n" for x, y in zip(xs, ys)))
H2, K2, S2, levels = 2, 2, 3, [80, 95]


def by_hand(T):
    dy = [ys[i] - ys[i - 1] for i in range(1, T)]
    dx = [xs[i] - xs[i - 1] for i in range(1, T)]
    b = sum(p * q for p, q in zip(dy, dx)) / sum(q * q for q in dx)
    res = [p - b * q for p, q in zip(dy, dx)]
    s2 = sum(r * r for r in res) / len(res)
    s = math.sqrt(s2)
    f = [ys[T - 1] + b * (xs[T + h] - xs[T - 1]) for h in range(H2)]
    se = [s * math.sqrt(h + 1) for h in range(H2)]
    out = ys[T:T + H2]
    r = {"smape": 200 / H2 * sum(abs(x - m) / (abs(x) + abs(m)) for x, m in zip(out, f))}
    d1 = [ys[i] - ys[i - 1] for i in range(1, T)]
    r["mase"] = sum(abs(x - m) for x, m in zip(out, f)) / H2 / (sum(map(abs, d1)) / len(d1))
    r["rmsse"] = math.sqrt(sum((x - m) ** 2 for x, m in zip(out, f)) / H2 /
                           (sum(v * v for v in d1) / len(d1)))
    crps = 0
    for x, m, sd in zip(out, f, se):
        z = (x - m) / sd
        crps += sd * (z * (2 * N.cdf(z) - 1) + 2 * N.pdf(z) - 1 / math.sqrt(math.pi))
    r["crps"] = crps / H2
    ll = 0
    for t in range(T, T + H2):
        w = ys[t] - ys[t - 1] - b * (xs[t] - xs[t - 1])
        ll += math.log(N.pdf(w / s) / s)
    r["log_score"] = ll / H2
    for Lv in levels:
        z = N.inv_cdf(0.5 + Lv / 200)
        r[f"coverage{Lv}"] = sum(m - z * sd <= x <= m + z * sd
                                 for x, m, sd in zip(out, f, se)) / H2
        r[f"width{Lv}"] = sum(2 * z * sd for sd in se) / H2
    return r


out = os.path.join(tmp, "eval.csv")
code, o, err = run(["evaluate", "-m", "arima(0,1,0)", "--xreg", "x", "-h", str(H2), "--origins",
                    str(K2), "--step", str(S2), "--format", "long", "-o", out, "--json", tiny])
check("evaluate --xreg exit", code == 0, err)
if code == 0:
    rows = rows_of(out)
    check("evaluate rows", len(rows) == K2, str(rows))
    for o_, r in enumerate(rows):
        T = len(ys) - H2 - (K2 - 1 - o_) * S2
        check(f"origin {o_} train_n", int(r["train_n"]) == T, r["train_n"])
        want = by_hand(T)
        for k, v in want.items():
            close(f"evaluate origin {o_} {k}", float(r[k]), v, 1e-5)
    js = json.loads(o)["models"][0]
    hand = [by_hand(len(ys) - H2 - (K2 - 1 - o_) * S2) for o_ in range(K2)]
    close("evaluate mean mase", js["mase"], sum(h["mase"] for h in hand) / K2, 1e-5)
    close("evaluate mean log_score", js["log_score"], sum(h["log_score"] for h in hand) / K2, 1e-5)

cliutil.finish()
