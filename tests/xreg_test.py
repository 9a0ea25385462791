#!/usr/bin/env python3
"""End-to-end tests of --xreg lists (columns, trend, fourier(P,K),
calendar) and regressors of the neural models.  The R values come from
tests/r/xreg_reference.R (tests/data/xreg/fourier_ref.json).
Usage: xreg_test.py TSF_BINARY SOURCE_DIR"""
import json, math, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cliutil
from cliutil import run, check, bad, tmpfile

cliutil.setup(sys.argv)
ref = json.load(open("tests/data/xreg/fourier_ref.json"))
ACC = "datasets/USAccDeaths.csv"


def rel(a, b, tol):
    return abs(a - b) <= tol * max(1.0, abs(b))


# --- fourier(12,2) with ARIMA errors: R's Arima(x, c(1,0,1), xreg = fourier(x, 2))
code, out, err = run(["fit", "-m", "arima(1,0,1)", "--xreg", "fourier(12,2)", "--json", ACC])
check("fourier arima fit", code == 0, err)
if code == 0:
    j = json.loads(out)
    check("fourier arima loglik", abs(j["loglik"] - ref["arima"]["loglik"]) < 1e-3,
          f"{j['loglik']} vs {ref['arima']['loglik']}")
    for name, want in ref["arima"]["coef"].items():
        got = j["coef"].get(name)
        # R's own optimiser stops within about 1e-4 of the optimum
        check("fourier arima coef " + name, got is not None and
              abs(got - want) <= 2e-3 * max(abs(want), 1.0) + 0.02 * j["se"][name],
              f"{got} vs {want}")
# the future terms are generated: no --xreg-future
code, out, err = run(["forecast", "-m", "arima(1,0,1)", "--xreg", "fourier(12,2)", "-h", "5",
                      "--json", ACC])
check("fourier forecast", code == 0, err)
if code == 0:
    for got, want in zip(json.loads(out)["mean"], ref["arima"]["mean"]):
        check("fourier forecast mean", abs(got - want) < 1.0, f"{got} vs {want}")
# auto.arima(x, xreg = fourier(x, 2), seasonal = FALSE): the same model
code, out, err = run(["fit", "-m", "auto(max_sp=0, max_sq=0, sd=0)", "--xreg", "fourier(12,2)",
                      "--json", ACC])
check("fourier auto", code == 0, err)
if code == 0:
    j = json.loads(out)
    want = ref["auto_nonseasonal"]
    check("fourier auto order", j["order"] == want["order"], f"{j['order']} vs {want['order']}")
    check("fourier auto loglik", abs(j["loglik"] - want["loglik"]) < 1e-3,
          f"{j['loglik']} vs {want['loglik']}")
# several terms mixed with a column and trend
xs = tmpfile("acc_x.csv", "time,value,z\n" + "".join(
    f"{1973 + i // 12}-{i % 12 + 1:02d},{v},{math.sin(i)}\n"
    for i, v in enumerate([float(l.split(',')[1]) for l in open(ACC).read().split("\n")[1:] if l])))
code, out, err = run(["fit", "-m", "arima(1,0,0)", "--xreg", "z, fourier(12,1),fourier(6,1),trend",
                      "-c", "value", "--json", xs])
check("mixed list", code == 0, err)
if code == 0:
    names = list(json.loads(out)["coef"])
    check("mixed list names", names == ["ar1", "intercept", "trend", "z", "S1-12", "C1-12",
                                        "S1-6", "C1-6"], f"{names}")
bad("mixed list needs future", ["forecast", "-m", "arima(1,0,0)", "--xreg", "z,fourier(12,1)",
                                "-c", "value", "-h", "2", xs], 1, "--xreg-future", "'z'")
bad("fourier K too big", ["fit", "-m", "arima(1,0,0)", "--xreg", "fourier(12,7)", ACC], 1,
    "fourier(12,7)", "period/2")
bad("fourier syntax", ["fit", "-m", "arima(1,0,0)", "--xreg", "fourier(12)", ACC], 1,
    "fourier(12)", "fourier(P,K)")
bad("xreg empty item", ["fit", "-m", "arima(1,0,0)", "--xreg", "fourier(12,1),,z", xs], 1,
    "empty item")
bad("calendar on years", ["fit", "-m", "arima(1,0,0)", "--xreg", "calendar", "datasets/Nile.csv"],
    1, "Nile.csv", "calendar", "dates")
code, out, err = run(["fit", "-m", "arima(1,0,0)", "--xreg", "calendar", "--json", ACC])
check("calendar monthly", code == 0 and "Dec" in json.loads(out)["coef"], err)
code, out, err = run(["forecast", "-m", "arima(1,0,0)", "--xreg", "calendar", "-h", "3", ACC])
check("calendar forecast", code == 0, err)

# --- neural models with regressors (tiny networks, one epoch) -------------
SB = "datasets/Seatbelts.csv"
G = "gru(hidden=4, layers=1, context=16)"
fut = tmpfile("sb_future.csv", "time,PetrolPrice,law\n1985-01,0.1,1\n1985-02,0.1,1\n"
              "1985-03,0.11,1\n")
code, out, err = run(["forecast", "-m", G, "--epochs", "1", "--xreg", "PetrolPrice,law",
                      "--xreg-future", fut, "-h", "3", "-c", "drivers", "--json", SB])
check("neural xreg forecast", code == 0 and len(json.loads(out)["mean"]) == 3, err)
bad("neural xreg future missing", ["forecast", "-m", G, "--epochs", "1", "--xreg",
                                   "PetrolPrice,law", "-h", "3", "-c", "drivers", SB], 1,
    "--xreg-future")
short = tmpfile("sb_short.csv", "time,PetrolPrice,law\n1985-01,0.1,1\n")
bad("neural xreg future short", ["forecast", "-m", G, "--epochs", "1", "--xreg",
                                 "PetrolPrice,law", "--xreg-future", short, "-h", "3", "-c",
                                 "drivers", SB], 1, "sb_short.csv", "horizon")
other = tmpfile("sb_other.csv", "time,Petrol,law\n1985-01,0.1,1\n1985-02,0.1,1\n"
                "1985-03,0.11,1\n")
bad("neural xreg future other columns", ["forecast", "-m", G, "--epochs", "1", "--xreg",
                                         "PetrolPrice,law", "--xreg-future", other, "-h", "3",
                                         "-c", "drivers", SB], 1, "PetrolPrice")
bad("unknown regressor column", ["fit", "-m", G, "--xreg", "Petrol", "-c", "drivers", SB], 1,
    "Petrol")
holes = tmpfile("holes.csv", "y,x\n1,0.5\n2,\n3,0.1\n4,0.2\n")
bad("missing regressor cell", ["fit", "-m", G, "--xreg", "x", "-c", "y", holes], 1,
    "holes.csv:3", "'x'", "missing")
word = tmpfile("word.csv", "y,x\n1,0.5\n2,abc\n3,0.1\n")
bad("non-numeric regressor cell", ["fit", "-m", G, "--xreg", "x", "-c", "y", word], 1,
    "word.csv:3", "abc")
bad("cross without regressors", ["fit", "-m", "transformer(cross=true)", "-c", "drivers", SB], 1,
    "cross=true", "--xreg")
bad("neural trend", ["fit", "-m", G, "--xreg", "trend", "-c", "drivers", SB], 1, "trend")
code, out, err = run(["compare", "-m", "transformer(d=8, heads=2, layers=1, context=16, cross=true)",
                      "-m", G, "-m", "arima(1,0,0)(1,0,0)", "--epochs", "1", "--xreg",
                      "PetrolPrice,law,fourier(12,1)", "--holdout", "12", "-c", "drivers", SB])
check("compare with regressors", code == 0 and "cross=true" in out and "nan" not in out.lower(),
      out + err)

model = os.path.join(cliutil.tmp, "gx.safetensors")
code, out, err = run(["fit", "-m", G, "--epochs", "1", "--xreg", "PetrolPrice,law", "-c",
                      "drivers", "-o", model, SB])
check("neural xreg save", code == 0, err)
code, out, err = run(["simulate", "--model", model, "-n", "3", "--paths", "2", "--seed", "1",
                      "--xreg-future", fut])
check("neural xreg simulate", code == 0 and len(out.strip().split("\n")) == 4, out + err)
bad("neural xreg simulate without paths", ["simulate", "--model", model, "-n", "3"], 1,
    "regressors")

# the one column that is not a regressor is the series: without -c the fit
# is the same as with it (it used to train one network on every column,
# the regressor's included, as two series)
two = tmpfile("two.csv", "time,y,x\n" + "".join(
    f"{1990 + i // 12}-{i % 12 + 1:02d},{10 + math.sin(i / 3) + 0.5 * (i % 5):.4f},{i % 5}\n"
    for i in range(96)))
lls = []
for extra in ([], ["-c", "y"]):
    code, out, err = run(["fit", "-m", G, "--epochs", "1", "--xreg", "x", "--json", two] + extra)
    check("neural xreg one series " + " ".join(extra), code == 0, err)
    lls.append(json.loads(out)["loglik"] if code == 0 else None)
check("neural xreg without -c = with -c", lls[0] is not None and lls[0] == lls[1], str(lls))

# a seed ensemble with regressors: fit (its likelihood needs them too),
# precision in --json, save, simulate with future regressors
E = "gru(hidden=4, layers=1, context=16, ensemble=2)"
emodel = os.path.join(cliutil.tmp, "ex.safetensors")
code, out, err = run(["fit", "-m", E, "--epochs", "1", "--xreg", "PetrolPrice,law", "-c",
                      "drivers", "--json", "-o", emodel, SB])
check("ensemble xreg fit", code == 0 and json.loads(out).get("precision") == "fp32", out + err)
code, out, err = run(["simulate", "--model", emodel, "-n", "3", "--paths", "2", "--seed", "1",
                      "--xreg-future", fut])
check("ensemble xreg simulate", code == 0 and len(out.strip().split("\n")) == 4 and
      "nan" not in out.lower(), out + err)

cliutil.finish()
