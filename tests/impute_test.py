#!/usr/bin/env python3
"""End-to-end tests of tsf impute and forecast --given (docs/conditioning.md).
Usage: impute_test.py TSF_BINARY SOURCE_DIR"""
import csv, io, json, math, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cliutil
from cliutil import run, check, bad, tmpfile

cliutil.setup(sys.argv)
tmp = cliutil.tmp

def series(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [float(r["value"]) if r["value"] not in ("", "NA") else None for r in rows]

pres = series("datasets/presidents.csv")

# --- impute ------------------------------------------------------------------
code, out, err = run(["impute", "-m", "arima(1,0,0)", "datasets/presidents.csv"])
check("impute runs", code == 0 and err == "", err)
rows = list(csv.DictReader(io.StringIO(out)))
check("impute rows", len(rows) == len(pres), str(len(rows)))
check("impute header", list(rows[0].keys()) == ["time", "value", "imputed", "se", "lo80", "hi80",
                                                "lo95", "hi95"], str(rows[0].keys()))
for r, y in zip(rows, pres):
    v, se = float(r["value"]), float(r["se"])
    lo, hi = float(r["lo95"]), float(r["hi95"])
    if y is None:
        check("imputed flag", r["imputed"] == "1", str(r))
        check("imputed se", se > 0 and lo < v < hi and float(r["lo80"]) > lo, str(r))
        check("imputed interval", abs((hi - v) - 1.959963985 * se) < 1e-6 * se, str(r))
    else:
        check("observed unchanged", v == y and se == 0 and lo == v == hi and r["imputed"] == "0",
              str(r))
check("no NA", "NA" not in out and "nan" not in out.lower(), out[:200])
check("time labels", rows[0]["time"] == "1945-Q1", rows[0]["time"])

code, out, err = run(["impute", "-m", "arima(1,0,0)", "--json", "datasets/presidents.csv"])
j = json.loads(out)
check("impute json keys", list(j.keys()) == ["time", "value", "imputed", "mean", "se", "lower",
                                             "upper"], str(j.keys()))
check("impute json imputed", sum(j["imputed"]) == sum(y is None for y in pres), "")
check("impute json se zero observed",
      all(s == 0 for s, y in zip(j["se"], pres) if y is not None), "")
check("impute json levels", sorted(j["lower"].keys()) == ["80", "95"], str(j["lower"].keys()))

# joint draws: same seed, same draws; observed values copied
a = run(["impute", "-m", "arima(1,0,0)", "--paths", "4", "--seed", "3", "datasets/presidents.csv"])
b = run(["impute", "-m", "arima(1,0,0)", "--paths", "4", "--seed", "3", "datasets/presidents.csv"])
c = run(["impute", "-m", "arima(1,0,0)", "--paths", "4", "--seed", "4", "datasets/presidents.csv"])
check("paths repeatable", a[0] == 0 and a[1] == b[1] and a[1] != c[1], a[2])
rows = list(csv.DictReader(io.StringIO(a[1])))
check("paths columns", "path4" in rows[0] and "path5" not in rows[0], str(rows[0].keys()))
for r, y in zip(rows, pres):
    if y is not None:
        check("paths observed", all(float(r[f"path{k}"]) == y for k in range(1, 5)), str(r))
    else:
        check("paths drawn", len({r[f"path{k}"] for k in range(1, 5)}) == 4, str(r))

# a series with gaps under auto (the done-check command), gold
code, out, err = run(["impute", "-m", "auto", "datasets/gold.csv"])
rows = list(csv.DictReader(io.StringIO(out)))
check("gold auto", code == 0 and sum(r["imputed"] == "1" for r in rows) == 34, err)

# atomic -o: written on success, nothing on failure
o = os.path.join(tmp, "imp.csv")
code, out, err = run(["impute", "-m", "ar(2)", "-o", o, "datasets/presidents.csv"])
check("impute -o", code == 0 and out == "" and os.path.exists(o), err)
o2 = os.path.join(tmp, "none.csv")
bad("impute transformed", ["impute", "-m", "arima(1,0,0)", "--transform", "log", "-o", o2,
                           "datasets/presidents.csv"], 1, "transform")
check("impute failed no file", not os.path.exists(o2) and os.listdir(tmp) == ["imp.csv"],
      str(os.listdir(tmp)))
# neural models: the particle smoother
code, out, err = run(["impute", "-m", "gru(hidden=4, context=8)", "--epochs", "2", "--paths", "2",
                      "datasets/presidents.csv"])
rows = list(csv.DictReader(io.StringIO(out)))
check("impute neural", code == 0 and len(rows) == len(pres) and "NA" not in out and
      all(float(r["se"]) > 0 for r, y in zip(rows, pres) if y is None) and
      all(float(r["value"]) == y for r, y in zip(rows, pres) if y is not None), err)

# no missing value: printed unchanged, a note on stderr
code, out, err = run(["impute", "-m", "arima(1,1,1)", "datasets/Nile.csv"])
rows = list(csv.DictReader(io.StringIO(out)))
nile = series("datasets/Nile.csv")
check("complete series unchanged", code == 0 and [float(r["value"]) for r in rows] == nile, err)
check("complete series note", err.startswith("tsf: note:") and "no missing" in err, err)

bad("impute horizon", ["impute", "-m", "auto", "-h", "3", "datasets/presidents.csv"], 1, "-h")
bad("impute paths zero", ["impute", "-m", "auto", "--paths", "0", "datasets/presidents.csv"], 1,
    "--paths")
bad("impute no model", ["impute", "datasets/presidents.csv"], 1, "-m")

# --- forecast --given -----------------------------------------------------------
AP = "datasets/AirPassengers.csv"
code, out, err = run(["forecast", "-m", "auto", "-h", "24", "--given", "+12=600", "--json", AP])
j = json.loads(out) if code == 0 else {}
check("given runs", code == 0, err)
if j:
    check("given echoed", j["mean"][11] == 600 and j["se"][11] == 0 and
          j["lower"]["95"][11] == 600 == j["upper"]["80"][11], str(j["mean"][11]))
    check("given time", j["time"][11] == "1961-12", str(j["time"][11]))
    base = json.loads(run(["forecast", "-m", "auto", "-h", "24", "--json", AP])[1])
    # the given value lies above the plain forecast: neighbours move up and get narrower
    check("given pulls", j["mean"][10] > base["mean"][10] and j["se"][10] < base["se"][10],
          f'{j["mean"][10]} vs {base["mean"][10]}')
    check("given no effect before nothing", all(math.isfinite(v) for v in j["mean"]), "")
same = run(["forecast", "-m", "auto", "-h", "24", "--given", "1961-12=600", "--json", AP])
check("given by label", same[1] == out, same[2])
g = os.path.join(tmp, "given.csv")
with open(g, "w") as f:
    f.write("time,value\n1961-12,600\n")
same = run(["forecast", "-m", "auto", "-h", "24", "--given", g, "--json", AP])
check("given file", same[1] == out, same[2])
bad("given past", ["forecast", "-m", "auto", "-h", "6", "--given", "1960-12=5", AP], 1,
    "not in the future", "1960-12")
bad("given duplicate", ["forecast", "-m", "auto", "-h", "6", "--given", "1961-03=5,+3=6", AP], 1,
    "twice")
bad("given unparsable time", ["forecast", "-m", "auto", "-h", "6", "--given", "March=5", AP], 1,
    "'March'")
bad("given unparsable value", ["forecast", "-m", "auto", "-h", "6", "--given", "+2=abc", AP], 1,
    "'abc'")
bad("given nan", ["forecast", "-m", "auto", "-h", "6", "--given", "+2=NaN", AP], 1, "'NaN'")
bad("given beyond", ["forecast", "-m", "auto", "-h", "6", "--given", "+7=1", AP], 1, "+7")
bad("given batch", ["batch", "-m", "auto", "-h", "6", "--given", "+2=1", AP], 1, "--given")
with open(g, "w") as f:
    f.write("time,value\n1961-02,400\n1961-05,\n")
bad("given file missing value", ["forecast", "-m", "auto", "-h", "6", "--given", g, AP], 1,
    "given.csv:3", "1961-05")
code, out, err = run(["forecast", "-m", "arima(0,1,1)(0,1,1)", "-h", "24", "--given", "+12=490",
                      "--conditioning", "smc", "--samples", "2000", "--seed", "1", "--json", AP])
js = json.loads(out) if code == 0 else {}
check("smc runs", code == 0 and err == "", err)
if js:
    ex = json.loads(run(["forecast", "-m", "arima(0,1,1)(0,1,1)", "-h", "24", "--given", "+12=490",
                         "--json", AP])[1])
    ess = js["ess"][11]
    check("smc ess", js["ess"][0] is None and 10 < ess <= 2000, str(js["ess"]))
    check("smc echo", js["mean"][11] == 490 and js["se"][11] == 0, "")
    for i in (5, 12, 23):
        check("smc vs exact", abs(js["mean"][i] - ex["mean"][i]) < 4 * ex["se"][i] / math.sqrt(ess),
              f'{i}: {js["mean"][i]} vs {ex["mean"][i]} (se {ex["se"][i]}, ess {ess})')
code, out, err = run(["forecast", "-m", "arima(0,1,1)(0,1,1)", "-h", "24", "--given", "+12=100",
                      "--conditioning", "smc", "--samples", "200", AP])
check("smc collapse warning", code == 0 and "warning: the particles collapsed" in err and
      "effective sample size at 1961-12" in out, err)
# neural models: sequential Monte Carlo by default (no exact answer)
code, out, err = run(["forecast", "-m", "gru(hidden=4, context=8)", "--epochs", "2", "-h", "6",
                      "--given", "+2=400", "--samples", "300", "--json", AP])
jn = json.loads(out) if code == 0 else {}
check("given neural smc", code == 0 and jn.get("mean", [0, 0])[1] == 400 and
      jn["ess"][1] is not None and all(math.isfinite(v) for v in jn["mean"]), err)
bad("given exact neural", ["forecast", "-m", "gru(hidden=4, context=8)", "--epochs", "1", "-h", "6",
                           "--conditioning", "exact", "--given", "+2=1", AP], 1, "no exact")
bad("conditioning bad", ["forecast", "-m", "auto", "-h", "6", "--conditioning", "x", AP], 1,
    "--conditioning")

cliutil.finish()
