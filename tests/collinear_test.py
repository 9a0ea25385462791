#!/usr/bin/env python3
"""Regressors that are constant or collinear in the fitted rows: tsf leaves
them out as R's lm does (coefficient 0, no standard error, a note on
stderr) where R's arima fails, so the fit equals R's fit without them
(tests/r/collinear_reference.R, tests/data/xreg/collinear_ref.json) and
forecasts that give the column still work.
Usage: collinear_test.py TSF_BINARY SOURCE_DIR"""
import csv, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cliutil
from cliutil import run, check

cliutil.setup(sys.argv)
tmp = cliutil.tmp
ref = json.load(open("tests/data/xreg/collinear_ref.json"))

rows = list(csv.DictReader(open("datasets/Seatbelts.csv")))
train = os.path.join(tmp, "train.csv")
fut = os.path.join(tmp, "future.csv")
with open(train, "w") as f:
    f.write("time,drivers,PetrolPrice,law,pp2\n")
    for r in rows[:168]:
        p = float(r["PetrolPrice"])
        f.write(f"{r['time']},{r['drivers']},{r['PetrolPrice']},{r['law']},{2 * p + 1!r}\n")
with open(fut, "w") as f:
    f.write("time,PetrolPrice,law,pp2\n")
    for r in rows[168:171]:
        p = float(r["PetrolPrice"])
        f.write(f"{r['time']},{r['PetrolPrice']},{r['law']},{2 * p + 1!r}\n")


def fit(spec, xreg):
    code, out, err = run(["fit", "-m", spec, "--xreg", xreg, "-c", "drivers", "--json", train])
    check(f"fit {spec} {xreg} exit", code == 0, err)
    return (json.loads(out) if code == 0 else None), err


def against_r(name, j, want):
    if j is None:
        return
    check(f"{name} loglik at least R's", j["loglik"] >= want["loglik"] - 1e-3,
          f"{j['loglik']} vs {want['loglik']}")
    for k, v in want["coef"].items():
        got = j["coef"].get(k)
        check(f"{name} {k} within 1% of R", got is not None and abs(got - v) <= 0.01 * abs(v),
              f"{got} vs {v}")


# law is 0 in every fitted row: collinear with the intercept
j, err = fit("arima(1,0,0)", "PetrolPrice,law")
against_r("ar1", j, ref["ar1"])
if j:
    check("law coefficient 0", j["coef"]["law"] == 0.0, j["coef"])
    check("law se null", j["se"]["law"] is None, j["se"])
check("one note naming law", err.count("note:") == 1 and "'law'" in err, err)
# the same fit as without the column
j0, _ = fit("arima(1,0,0)", "PetrolPrice")
if j and j0:
    check("same loglik as without law", abs(j["loglik"] - j0["loglik"]) < 1e-9,
          f"{j['loglik']} vs {j0['loglik']}")
    check("same aic as without law", abs(j["aic"] - j0["aic"]) < 1e-9, f"{j['aic']}")

# differenced (d = 1): law differences to 0, pp2 = 2 PetrolPrice + 1 to a
# multiple of dPetrolPrice
j, err = fit("arima(0,1,1)", "PetrolPrice,law,pp2")
against_r("ima", j, ref["ima"])
if j:
    check("ima dropped law and pp2", j["coef"]["law"] == 0.0 and j["coef"]["pp2"] == 0.0 and
          j["se"]["pp2"] is None, j["coef"])
check("ima notes", "'law'" in err and "'pp2'" in err and "'PetrolPrice'" not in err, err)

# lm's rule on [intercept, pp, 2 pp + 1, law]: the last two are aliased
j, _ = fit("arima(0,0,0)", "PetrolPrice,pp2,law")
if j:
    got = [j["se"][k] is None for k in ("intercept", "PetrolPrice", "pp2", "law")]
    check("aliased columns as lm's", got == ref["lm_na"], f"{got} vs {ref['lm_na']}")

# forecasts take every column given and equal those without the dropped one
means = []
for xreg in ("PetrolPrice,law", "PetrolPrice"):
    code, out, err = run(["forecast", "-m", "arima(1,0,0)", "--xreg", xreg, "--xreg-future", fut,
                          "-c", "drivers", "-h", "3", "--json", train])
    check(f"forecast {xreg} exit", code == 0, err)
    means.append(json.loads(out)["mean"] if code == 0 else None)
if all(means):
    check("forecast unchanged by the dropped column",
          all(abs(a - b) < 1e-9 * abs(b) for a, b in zip(*means)), str(means))

# the compare runs to the end (the classical members here)
code, out, err = run(["compare", "-m", "arima(1,0,0)", "-m", "auto", "--xreg", "PetrolPrice,law",
                      "--holdout", "24", "-c", "drivers", "--json", "datasets/Seatbelts.csv"])
check("compare exit 0", code == 0, err)
if code == 0:
    ms = json.loads(out)["models"]
    check("compare both scored", all(m.get("holdout_loglik") is not None for m in ms), out)

cliutil.finish()
