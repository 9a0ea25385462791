#!/usr/bin/env python3
"""End-to-end tests of the tsf program: every bad input exits 1 with one line
on stderr naming the file (line and column where they apply) and the
offending text; good runs print no NaN and agree with R where R's numbers
are known.  Usage: cli_test.py TSF_BINARY SOURCE_DIR"""
import json, math, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cliutil
from cliutil import run, check, bad, tmpfile

cliutil.setup(sys.argv)
tmp = cliutil.tmp

D = "tests/data/csv/"
# --- bad input: CSV ---------------------------------------------------------
bad("missing file", ["fit", "-m", "ar(1)", "nope.csv"], 1, "nope.csv", "cannot open")
bad("empty file", ["fit", "-m", "ar(1)", D + "empty.csv"], 1, "empty.csv")
bad("header only", ["fit", "-m", "ar(1)", D + "header_only.csv"], 1, "header_only.csv")
bad("ragged", ["fit", "-m", "ar(1)", D + "ragged_many.csv"], 1, "ragged_many.csv:")
bad("non-numeric", ["fit", "-m", "ar(1)", D + "nonnumeric.csv"], 1, "nonnumeric.csv:")
bad("out of range", ["fit", "-m", "ar(1)", D + "range.csv"], 1, "range.csv:", "1e400")
bad("nan text", ["fit", "-m", "ar(1)", D + "nan.csv"], 1, "nan.csv:", "empty")
bad("inf text", ["fit", "-m", "ar(1)", D + "inf.csv"], 1, "inf.csv:")
bad("unterminated quote", ["fit", "-m", "ar(1)", D + "unterminated.csv"], 1, "unterminated.csv:")
nul = tmpfile("nul.csv", b"value\n1\n2\x003\n", "wb")
bad("binary", ["fit", "-m", "ar(1)", nul], 1, "nul.csv:")
bad("unknown column", ["fit", "-m", "ar(1)", "-c", "foo", "datasets/lh.csv"], 1,
    "no column 'foo'", "value")
bad("several columns", ["fit", "-m", "ar(1)", "datasets/EuStockMarkets.csv"], 1,
    "DAX, SMI, CAC, FTSE", "-c")
short = tmpfile("short.csv", "value\n1\n2\n3\n")
bad("too few observations", ["fit", "-m", "ar(2)", short], 1, "needs at least")
const = tmpfile("const.csv", "value\n" + "5\n" * 30)
# valid input the model cannot be fitted to: exit 2 with what to try
for spec in ["ar", "arima(1,0,0)", "arima(0,1,1)", "auto"]:
    bad("constant series " + spec, ["fit", "-m", spec, const], 2, "constant" if spec != "ar" else "zero variance")
# --- bad input: specs and options -------------------------------------------
bad("spec paren", ["fit", "-m", "ar(3", "datasets/lh.csv"], 1, 'spec "ar(3"', "column 5")
bad("spec unknown model", ["fit", "-m", "foo(1)", "datasets/lh.csv"], 1, "unknown model 'foo'")
bad("spec unknown key", ["fit", "-m", "ar(max=3, foo=1)", "datasets/lh.csv"], 1, "'foo'")
bad("spec bad method", ["fit", "-m", "ar(method=magic)", "datasets/lh.csv"], 1, "magic")
bad("arima bad order", ["fit", "-m", "arima(1,x,1)", "datasets/lh.csv"], 1, "'x'")
# additive attention's keys (docs/neural.md)
bad("attention foo", ["fit", "-m", "transformer(attention=foo)", "datasets/lh.csv"], 1,
    'spec "transformer(attention=foo)"', "column 13", "dot|additive")
bad("window 0", ["fit", "-m", "gru(attention=additive, window=0)", "datasets/lh.csv"], 1,
    'spec "gru(attention=additive, window=0)"', "window=0 is out of range")
bad("window without attention", ["fit", "-m", "lstm(window=8)", "datasets/lh.csv"], 1,
    'spec "lstm(window=8)"', "goes with attention=additive")
bad("attention on wavenet", ["fit", "-m", "wavenet(attention=additive)", "datasets/lh.csv"], 1,
    'spec "wavenet(attention=additive)"', "unknown key 'attention'")
bad("unknown option", ["fit", "--foo", "datasets/lh.csv"], 1, "--foo")
bad("no horizon", ["forecast", "-m", "ar(1)", "datasets/lh.csv"], 1, "-h")
bad("bad horizon", ["forecast", "-m", "ar(1)", "-h", "x", "datasets/lh.csv"], 1, "'x'")
bad("bad level", ["forecast", "-m", "ar(1)", "-h", "3", "--level", "120", "datasets/lh.csv"], 1, "120")
bad("bad transform", ["fit", "-m", "ar(1)", "--transform", "sqrt", "datasets/lh.csv"], 1, "sqrt")
bad("unknown command", ["frobnicate"], 1, "frobnicate")
bad("bad model file", ["forecast", "--model", D + "quoted.csv", "-h", "2", "datasets/lh.csv"], 1,
    "quoted.csv")

# --- good input ------------------------------------------------------------
code, out, err = run(["--version"])
check("version", code == 0 and out.startswith("tsf "), out)
code, out, err = run(["help"])
check("help", code == 0 and "forecast" in out, out)
code, out, err = run(["help", "fit"])
check("help fit", code == 0 and "--method" in out, out)

ref = {c["id"]: c for c in json.load(open("tests/reference/r_reference.json"))}
code, out, err = run(["fit", "-m", "ar(max=10, method=burg)", "-c", "value", "--json",
                      "datasets/lh.csv"])
check("burg json status", code == 0, err)
j = json.loads(out) if code == 0 else {}
r = ref["lh_ar_burg"]
check("burg order", j.get("order") == [3, 0, 0], str(j.get("order")))
for i, a in enumerate(r["ar"]):
    check(f"burg ar{i+1}", abs(j["coef"][f"ar{i+1}"] - a) < 1e-3, str(j.get("coef")))
check("burg var_pred", abs(j["sigma2"] - r["var_pred"]) < 0.01 * r["var_pred"], str(j.get("sigma2")))
for k in ("spec", "model", "order", "seasonal", "period", "coef", "se", "sigma2", "loglik", "aic",
          "aicc", "bic", "nobs", "converged", "fit_seconds"):
    check("fit json key " + k, k in j, k)

# BOM + CRLF and mostly-missing files are accepted.
bom = tmpfile("bom.csv", b"\xef\xbb\xbf\"time\",\"value\"\r\n" +
              b"".join(b"\"2001-%02d\",%d\r\n" % (m, 10 + (m * 7) % 5) for m in range(1, 13)), "wb")
code, out, err = run(["forecast", "-m", "ar(1)", "-h", "2", "--json", bom])
check("bom crlf", code == 0 and json.loads(out)["time"] == ["2002-01", "2002-02"], err + out)
gaps = tmpfile("gaps.csv", "value\n" + "".join(
    ("" if i % 3 else str(math.sin(i) + 2)) + "\n" for i in range(60)))
code, out, err = run(["fit", "-m", "arima(1,0,0)", "--json", gaps])
check("mostly missing", code == 0 and json.loads(out)["nobs"] == 20, err + out[:300])

# Forecast JSON: no NaN, future time labels, intervals nest.
code, out, err = run(["forecast", "-m", "arima(0,1,1)(0,1,1)", "--transform", "log", "-h", "24",
                      "--level", "80,95", "--json", "datasets/AirPassengers.csv"])
check("forecast json", code == 0 and "nan" not in out.lower(), err)
if code == 0:
    f = json.loads(out)
    check("time labels", f["time"][0] == "1961-01" and f["time"][23] == "1962-12", str(f["time"][:2]))
    check("intervals nest", all(f["lower"]["95"][i] <= f["lower"]["80"][i] <= f["mean"][i]
                                <= f["upper"]["80"][i] <= f["upper"]["95"][i] for i in range(24)))
    # R: predict(arima(log(AirPassengers), c(0,1,1), list(order=c(0,1,1)))) ; exp(mean) = median
    rm = ref["logairpassengers_airline"]["forecast_mean"]
    rs = ref["logairpassengers_airline"]["forecast_se"]
    for i in range(12):
        check(f"airline median {i}", abs(math.log(f["mean"][i]) - rm[i]) < 0.02 * rs[i],
              f"{f['mean'][i]} vs exp({rm[i]})")

# compare: JSON fields, order preserved, holdout_n.
code, out, err = run(["compare", "-m", "arima(1,0,0)", "-m", "ar(2)", "--holdout", "8", "--json",
                      "datasets/lh.csv"])
check("compare status", code == 0, err)
if code == 0:
    c = json.loads(out)["models"]
    check("compare order", [m["spec"] for m in c] == ["arima(1,0,0)", "ar(2)"], str(c))
    for m in c:
        for k in ("loglik", "aic", "bic", "holdout_loglik", "holdout_n", "mase", "crps"):
            check("compare key " + k, k in m and m[k] is not None, str(m))

# save -> forecast --model -> simulate
model = os.path.join(tmp, "m.safetensors")
code, out, err = run(["fit", "-m", "arima(1,0,0)", "-o", model, "datasets/lh.csv"])
check("save", code == 0 and os.path.exists(model), err)
code, out2, err = run(["forecast", "--model", model, "-h", "3", "--json", "datasets/lh.csv"])
code3, out3, err3 = run(["forecast", "-m", "arima(1,0,0)", "-h", "3", "--json", "datasets/lh.csv"])
check("loaded forecast equals fitted", code == 0 and code3 == 0 and
      json.loads(out2)["mean"] == json.loads(out3)["mean"], err + err3)
code, out, err = run(["simulate", "--model", model, "-n", "5", "--paths", "2", "--seed", "1"])
check("simulate", code == 0 and len(out.strip().split("\n")) == 6, err)
code, outb, err = run(["simulate", "--model", model, "-n", "5", "--paths", "2", "--seed", "1"])
check("simulate seeded", out == outb)

# Regression with ARIMA errors: future regressors from --xreg-future.
# R: predict(arima(value, c(1,0,0), xreg = x1), n.ahead = 3, newxreg = c(0.5, -1, 2))
code, out, err = run(["forecast", "-m", "arima(1,0,0)", "--xreg", "x1", "--xreg-future",
                      "tests/data/xreg/future.csv", "-h", "3", "--json", "tests/data/xreg/series.csv"])
check("xreg forecast", code == 0, err)
if code == 0:
    for got, want in zip(json.loads(out)["mean"], [11.962009150, 8.528017568, 14.346421116]):
        check("xreg forecast mean", abs(got - want) < 1e-3, f"{got} vs {want}")
bad("xreg future missing", ["forecast", "-m", "arima(1,0,0)", "--xreg", "x1", "-h", "3",
                            "tests/data/xreg/series.csv"], 1, "--xreg-future")

# auto with regressors (regression with ARIMA errors), against forecast 8.20:
#   f <- auto.arima(BJsales[1:140], xreg = BJsales.lead[1:140])   # ARIMA(1,1,1)
#   forecast(f, xreg = BJsales.lead[141:150])
# Means agree; forecast's intervals use sigma2 = SSR / (n* - k) where tsf
# keeps the ML sigma2 (docs/models.md), so R's se = tsf's * sqrt(n* / (n* - k)).
code, out, err = run(["forecast", "-m", "auto", "-c", "sales", "--xreg", "lead", "--xreg-future",
                      "tests/data/xreg/bjsales_future.csv", "-h", "10", "--json",
                      "tests/data/xreg/bjsales.csv"])
check("auto xreg forecast", code == 0, err)
if code == 0:
    j = json.loads(out)
    r_mean = [257.699681, 257.746725, 257.861008, 257.940545, 258.017734, 258.038847,
              258.074869, 258.124006, 258.128658, 258.205644]
    r_se = [1.366609, 2.168711, 2.927307, 3.672175, 4.409102, 5.138452, 5.859182, 6.570004,
            7.269754, 7.957504]
    adj = math.sqrt(139 / 136)  # n* = 140 - 1, k = ar1, ma1, lead
    for got, want, se in zip(j["mean"], r_mean, r_se):
        check("auto xreg forecast mean", abs(got - want) < 0.02 * se, f"{got} vs {want}")
    for got, want in zip(j["se"], r_se):
        check("auto xreg forecast se", abs(got * adj - want) < 0.02 * want, f"{got} vs {want}")
# orders and AICc of auto.arima(x, xreg = ...) (R's choice of d and D runs on
# the regression residuals and drops a difference that would make a regressor
# constant: USAccDeaths with a trend gets D = 0)
for args, order, seas, aicc in [
        (["-c", "sales", "--xreg", "lead", "tests/data/xreg/bjsales.csv"], [1, 1, 1], None, None),
        (["--xreg", "trend", "datasets/LakeHuron.csv"], [1, 0, 1], None, 213.0476),
        (["--xreg", "trend", "datasets/USAccDeaths.csv"], [1, 0, 0], [1, 0, 0], 1076.512)]:
    code, out, err = run(["fit", "-m", "auto", "--json"] + args)
    check("auto xreg fit " + args[-1], code == 0, err)
    if code == 0:
        j = json.loads(out)
        check("auto xreg order " + args[-1], j["order"] == order and
              (seas is None or j["seasonal"] == seas), f"{j['order']} {j.get('seasonal')}")
        if aicc is not None:
            check("auto xreg aicc " + args[-1], j["aicc"] < aicc + 1e-3, f"{j['aicc']} vs {aicc}")

# forecast's checkarima rule: a candidate with a coefficient of no finite
# variance is rejected.  R 4.2 / forecast 8.20:
#   auto.arima(ts(read.csv("datasets/nottem.csv")$value, frequency = 12))
#   -> ARIMA(1,0,2)(1,1,2)[12] with drift, AICc = 1049.62
# (without the rule tsf chose ARIMA(2,0,2)(2,1,2)[12], whose Hessian is not
# positive definite)
code, out, err = run(["fit", "-m", "auto", "--json", "datasets/nottem.csv"])
check("auto nottem fit", code == 0, err)
if code == 0:
    j = json.loads(out)
    check("auto nottem model as R's", j["order"] == [1, 0, 2] and j["seasonal"] == [1, 1, 2] and
          "drift" in j["coef"], f"{j['order']} {j['seasonal']}")
    check("auto nottem aicc", abs(j["aicc"] - 1049.62) < 0.01, str(j["aicc"]))

# simulation of a regression with ARIMA errors along given regressor paths
bjm = os.path.join(tmp, "bj.safetensors")
code, out, err = run(["fit", "-m", "arima(1,1,1)", "-c", "sales", "--xreg", "lead", "-o", bjm,
                      "tests/data/xreg/bjsales.csv"])
check("xreg model saved", code == 0, err)
bad("simulate xreg missing", ["simulate", "--model", bjm, "-n", "5"], 1, "--xreg-future")
code, out, err = run(["simulate", "--model", bjm, "-n", "5", "--paths", "3", "--seed", "2",
                      "--xreg-future", "tests/data/xreg/bjsales_future.csv"])
check("simulate xreg", code == 0 and len(out.strip().split("\n")) == 6, err)
bad("simulate xreg foreign column", ["simulate", "--model", bjm, "-n", "3", "--xreg-future",
                                     "tests/data/xreg/future.csv"], 1, "not a regressor")

# --- time stamps (docs/file-formats.md): grid, gaps, period, future stamps ---
code, out, err = run(["forecast", "-m", "auto", "-h", "48", "--json", "datasets/taylor.csv"])
check("taylor forecast", code == 0, err)
if code == 0:
    t = json.loads(out)["time"]
    check("taylor future stamps", t[0] == "2000-08-28 00:00" and t[47] == "2000-08-28 23:30",
          f"{t[:2]} ... {t[-1:]}")
for spec in ["auto", "ar", "arima(1,0,0)", "gru(hidden=4, layers=1, context=8)"]:
    code, out, err = run(["fit", "-m", spec, "--json", "--epochs", "1", "--seed", "1",
                          "datasets/taylor.csv"] if spec.startswith("gru") else
                         ["fit", "-m", spec, "--json", "datasets/taylor.csv"])
    check("period " + spec, code == 0, err)
    if code == 0:
        j = json.loads(out)
        check("period 48 " + spec, j["period"] == 48 and j["interval"] == "30 minutes",
              f"{j['period']} {j.get('interval')}")
# --precision: reported by fit --json for neural models, never ignored: bf16
# trains in bf16 or is refused with the advice; tf32 is a GPU format
for prec in ["fp32", "bf16", "tf32"]:
    code, out, err = run(["fit", "-m", "gru(hidden=4, layers=1, context=8)", "--json",
                          "--epochs", "1", "--precision", prec, "datasets/lh.csv"])
    if code == 0:
        check("precision " + prec, prec != "tf32" and json.loads(out)["precision"] == prec, out)
    else:
        check("precision " + prec + " refused", code == 1 and prec != "fp32" and
              ("use --precision fp32" in err or "tf32 is a GPU" in err), err)
# no option is silently ignored: one that only other families read is an error
for opt, val in [("--epochs", "3"), ("--batch", "8"), ("--lr", "0.01"), ("--device", "cpu"),
                 ("--precision", "bf16"), ("--sampler", "ancestral")]:
    bad("classical " + opt, ["forecast", "-m", "auto", "-h", "2", opt, val, "datasets/lh.csv"],
        1, "option '" + opt + "' is read by neural networks", "drop '" + opt + "'")
for spec, opt in [("ets", "--no-mean"), ("theta", "--method css"), ("auto", "--drift"),
                  ("gru(hidden=4)", "--method ml"), ("gru(hidden=4)", "--no-mean")]:
    bad(spec + " " + opt, ["forecast", "-m", spec, "-h", "2"] + opt.split() +
        ["datasets/lh.csv"], 1, "option '" + opt.split()[0] + "' is read by ")
bad("classical compare --epochs", ["compare", "-m", "ets", "-m", "theta", "--epochs", "2",
                                   "datasets/lh.csv"], 1, "drop '--epochs'")
bad("loaded --epochs", ["forecast", "--model", model, "-h", "2",
                        "--epochs", "2", "datasets/lh.csv"], 1, "is not fitted again")
bad("loaded --sampler", ["simulate", "--model", model, "-n", "2", "--sampler", "parallel"], 1,
    "option '--sampler' is read by neural networks", "with --model")
code, out, err = run(["forecast", "-m", "combo(ets, arima(1,0,0))", "--no-mean", "-h", "2",
                      "datasets/lh.csv"])
check("--no-mean with an arima member", code == 0, err)
code, out, err = run(["compare", "-m", "ets", "-m", "gru(hidden=4, layers=1, context=8)", "--holdout", "5",
                      "--epochs", "1", "--seed", "1", "datasets/lh.csv"])
check("--epochs with a neural member", code == 0, err)
code, out, err = run(["fit", "-m", "arima(1,0,0)", "--json", "datasets/lh.csv"])
check("no precision for arima", code == 0 and "precision" not in json.loads(out), out)
code, out, err = run(["fit", "-m", "ar", "--json", "datasets/msft.csv"])
check("msft business days", code == 0 and json.loads(out)["period"] == 5 and
      json.loads(out)["interval"] == "1 business day", err)
check("msft note", err == "datasets/msft.csv: 13 missing time stamps filled as missing values, "
      "first 2000-11-23\n", repr(err))
code, out, err = run(["forecast", "-m", "arima(0,1,0)", "-h", "2", "datasets/msft.csv"])
check("msft skips the weekend", code == 0 and "2001-09-28" in out and "2001-10-01" in out and
      "2001-09-29" not in out, out)
code, out, err = run(["fit", "-m", "ar", "--period", "3", "--json", "datasets/msft.csv"])
check("--period overrides", code == 0 and json.loads(out)["period"] == 3, err)
gap = tmpfile("gap.csv", "time,value\n" + "".join(
    f"2020-{m:02d},{v}\n" for m, v in [(1, 5), (2, 6), (4, 8), (5, 7), (6, 9), (8, 6), (9, 7),
                                        (10, 8), (11, 6), (12, 9)]))
code, out, err = run(["forecast", "-m", "arima(1,0,0)", "-h", "2", "--json", gap])
check("gap note", err == gap + ": 2 missing time stamps filled as missing values, first 2020-03\n",
      repr(err))
check("gap future", code == 0 and json.loads(out)["time"] == ["2021-01", "2021-02"], out)
# the absent rows and explicit empty rows give the same likelihood
explicit = tmpfile("explicit.csv", open(gap).read().replace("2020-02,6\n", "2020-02,6\n2020-03,\n")
                   .replace("2020-06,9\n", "2020-06,9\n2020-07,\n"))
for spec in ["arima(1,0,0)", "gru(hidden=4, layers=1, context=4)"]:
    lls = []
    for f in (gap, explicit):
        neural = ["--epochs", "2", "--seed", "3"] if spec.startswith("gru") else []
        code, out, err = run(["fit", "-m", spec, "--json"] + neural + [f])
        lls.append(json.loads(out)["loglik"] if code == 0 else None)
    check("gap loglik " + spec, lls[0] is not None and lls[0] == lls[1], str(lls))
one = tmpfile("onegap.csv", "time,value\n2020-01,1\n2020-02,2\n2020-04,3\n2020-05,5\n")
code, out, err = run(["fit", "-m", "arima(0,0,0)", one])
check("one gap note", err == one + ": 1 missing time stamp filled as a missing value, "
      "first 2020-03\n", repr(err))
unsorted = tmpfile("unsorted.csv", "time,value\n2020-03,1\n2020-04,2\n2020-01,3\n2020-02,4\n")
bad("unsorted stamps", ["fit", "-m", "ar(1)", unsorted], 1,
    unsorted + ":4:1: time '2020-01' comes before '2020-04' on line 3; sort the file by time")
dup = tmpfile("dup.csv", "time,value\n2020-01,1\n2020-02,2\n2020-02,3\n2020-03,4\n")
bad("repeated stamp", ["fit", "-m", "ar(1)", dup], 1,
    dup + ":4:1: time '2020-02' repeats the stamp of line 3")
hourly = tmpfile("hourly.csv", "time,value\n" + "".join(
    f"2024-01-05T{h:02d}:{m:02d},{v}\n" for h, m, v in
    [(0, 0, 1), (1, 0, 3), (2, 0, 2), (3, 0, 4), (4, 7, 3), (5, 0, 5), (6, 0, 4), (7, 0, 6),
     (8, 0, 5), (9, 0, 7), (10, 0, 6), (11, 0, 8)]))
bad("off the grid", ["fit", "-m", "ar(1)", hourly], 1,
    hourly + ":6:1: time '2024-01-05T04:07' is off the 1 hour grid", "--round-time")
code, out, err = run(["forecast", "-m", "ar(1)", "-h", "1", "--json", "--interval", "1 hour",
                      "--round-time", hourly])
check("--round-time", code == 0 and json.loads(out)["time"] == ["2024-01-05T12:00"], err + out)
near = tmpfile("near.csv", "time,value\n2024-01-05T12:00,1\n2024-01-05T12:58,2\n"
               "2024-01-05T13:04,3\n2024-01-05T14:00,4\n")
bad("two rows on one step", ["fit", "-m", "ar(1)", "--interval", "1 hour", "--round-time", near],
    1, near + ":4:1: time '2024-01-05T13:04' falls on the same 1 hour step as "
    "'2024-01-05T12:58' on line 3")
bad("bad --interval", ["fit", "-m", "ar(1)", "--interval", "1 fortnight", hourly], 1,
    "--interval", "1 fortnight", "'1 hour'")
bad("--interval of another unit", ["fit", "-m", "ar(1)", "--interval", "1 month", hourly], 1,
    "the interval '1 month' does not suit time stamps like '2024-01-05T00:00'")
sparse = tmpfile("sparse.csv", "time,value\n2020-01-01,1\n2020-01-02,2\n2020-03-01,3\n")
bad("more gaps than rows", ["fit", "-m", "ar(1)", sparse], 1, "more missing stamps than rows")
mixed = tmpfile("mixed.csv", "time,value\n2024-01-05,1\n2024-01-06 00:00,2\n")
bad("mixed forms", ["fit", "-m", "ar(1)", mixed], 1,
    mixed + ":3:1: time '2024-01-06 00:00' is not written like '2024-01-05' on line 2")
# --xreg-future with stamps continues the series' grid
xs = tmpfile("xs.csv", "date,y,x\n" + "".join(
    f"2024-01-{d:02d},{v},{x}\n" for d, v, x in
    [(1, 5, 1), (2, 6, 2), (3, 8, 2), (4, 7, 1), (5, 9, 3), (6, 6, 1), (7, 7, 2), (8, 8, 3),
     (9, 6, 1), (10, 9, 3), (11, 7, 2), (12, 8, 2)]))
xf_ok = tmpfile("xf_ok.csv", "date,x\n2024-01-13,1\n2024-01-14,2\n")
xf_bad = tmpfile("xf_bad.csv", "date,x\n2024-01-14,1\n2024-01-15,2\n")
code, out, err = run(["forecast", "-m", "arima(0,0,0)", "-c", "y", "--xreg", "x", "-h", "2",
                      "--json", "--xreg-future", xf_ok, xs])
check("xreg future stamps", code == 0 and json.loads(out)["time"] == ["2024-01-13", "2024-01-14"],
      err + out)
bad("xreg future start", ["forecast", "-m", "arima(0,0,0)", "-c", "y", "--xreg", "x", "-h", "2",
                          "--xreg-future", xf_bad, xs], 1,
    "the future values start at '2024-01-14', but the step after the last stamp", "'2024-01-13'")
# long format: the rules per series; a bad series gets its error row, the rest go on
longf = tmpfile("long.csv", "id,time,value\n" +
                "".join(f"a,2020-{m:02d},{v}\n" for m, v in
                        [(1, 5), (2, 6), (4, 8), (5, 7), (6, 9), (7, 6), (8, 7), (9, 8)]) +
                "b,2020-01,1\nb,2020-03,2\nb,2020-02,3\nb,2020-04,4\n" +
                "".join(f"c,2024-01-{d:02d},{v}\n" for d, v in
                        [(4, 1), (5, 2), (8, 3), (9, 2), (10, 4), (11, 3), (12, 5)]))
outp = os.path.join(tmp, "long_out.csv")
code, out, err = run(["batch", "-m", "arima(0,0,0)", "-h", "2", "--format", "long", "--quiet",
                      "-o", outp, longf])
check("long time exit", code == 3, f"{code} {err}")
check("long time note", longf + ": series 'a': 1 missing time stamp filled as a missing value, "
      "first 2020-03" in err, repr(err))
rows = open(outp).read().splitlines() if os.path.exists(outp) else []
check("long a future", any(r.startswith("a,1,2020-10,") for r in rows) and
      any(r.startswith("a,2,2020-11,") for r in rows), rows)
check("long b error", any(r.startswith("b,") and ":12:2: time '2020-02' comes before '2020-03' "
                          "on line 11" in r for r in rows), rows)
check("long c business days", any(r.startswith("c,1,2024-01-15,") for r in rows), rows)

# --- ets -------------------------------------------------------------------
zero = tmpfile("zero.csv", "value\n" + "".join(f"{v}\n" for v in [5, 6, 0, 7, 8, 6, 5, 7, 8, 9, 6, 7]))
bad("ets multiplicative on zero", ["fit", "-m", "ets(MAM)", "--period", "4", zero], 1,
    "ets(MAM)", "strictly positive", "observation 3 is 0")
bad("ets multiplicative trend", ["fit", "-m", "ets(AMN)", "datasets/lh.csv"], 1,
    'spec "ets(AMN)"', "column 6", "multiplicative trend")
bad("ets unknown letter", ["fit", "-m", "ets(XNN)", "datasets/lh.csv"], 1, "column 5", "'X'")
bad("ets seasonal without period", ["fit", "-m", "ets(ANA)", "datasets/lh.csv"], 1, "period")
code, out, err = run(["fit", "-m", "ets", "--json", "datasets/AirPassengers.csv"])
check("ets fit", code == 0 and "nan" not in out.lower(), err)
if code == 0:
    j = json.loads(out)
    check("ets model field", j["model"].startswith("ETS(") and "alpha" in j["coef"]
          and "s11" in j["coef"], j["model"])
    check("ets aicc", j["aicc"] > j["aic"], str(j))
em = os.path.join(tmp, "ets.safetensors")
code, out, err = run(["fit", "-m", "ets(MAdM)", "-o", em, "datasets/AirPassengers.csv"])
check("ets model saved", code == 0, err)
c1, o1, e1 = run(["forecast", "--model", em, "-h", "12", "--json", "datasets/AirPassengers.csv"])
c2, o2, e2 = run(["forecast", "-m", "ets(MAdM)", "-h", "12", "--json", "datasets/AirPassengers.csv"])
check("ets forecast from file", c1 == 0 and c2 == 0 and
      json.loads(o1)["mean"] == json.loads(o2)["mean"], e1 + e2)
code, out, err = run(["simulate", "--model", em, "-n", "24", "--paths", "2", "--seed", "1"])
check("ets simulate", code == 0 and "nan" not in out.lower() and len(out.strip().split("\n")) >= 25, err)

# --- neural samplers: --sampler ancestral|parallel|auto (same seed, the same paths bit for bit) ---
tfm = os.path.join(tmp, "tf.safetensors")
code, out, err = run(["fit", "-m", "transformer(d=8, heads=2, layers=1, context=16)", "--epochs",
                      "1", "--seed", "1", "-o", tfm, "datasets/lh.csv"])
check("sampler model saved", code == 0, err)
fcs = {}
for smp in ["ancestral", "parallel", "auto"]:
    code, out, err = run(["forecast", "--model", tfm, "-h", "6", "--seed", "3", "--samples", "40",
                          "--json", "--sampler", smp, "datasets/lh.csv"])
    check("forecast --sampler " + smp, code == 0 and "nan" not in out.lower(), err)
    fcs[smp] = json.loads(out) if code == 0 else None
def same(a, b):  # bit for bit on the CPU: the printed values are equal
    return len(a) == len(b) and all(x == y for x, y in zip(a, b))
if fcs["ancestral"] and fcs["parallel"]:
    for key in ["mean", "se"]:
        check("sampler forecast " + key, same(fcs["ancestral"][key], fcs["parallel"][key]),
              f"{fcs['ancestral'][key]} vs {fcs['parallel'][key]}")
    check("sampler forecast lower", same(fcs["ancestral"]["lower"]["95"],
                                         fcs["parallel"]["lower"]["95"]))
sims = {}
for smp in ["ancestral", "parallel"]:
    code, out, err = run(["simulate", "--model", tfm, "-n", "8", "--paths", "3", "--seed", "4",
                          "--sampler", smp])
    check("simulate --sampler " + smp, code == 0 and len(out.strip().split("\n")) == 9, err)
    sims[smp] = [float(v) for line in out.strip().split("\n")[1:] for v in line.split(",")[1:]]
check("simulate samplers agree", len(sims["ancestral"]) == 24 and
      same(sims["ancestral"], sims["parallel"]), f"{sims}")
bad("sampler bad value", ["forecast", "--model", tfm, "-h", "3", "--sampler", "fast",
                          "datasets/lh.csv"], 1, "--sampler 'fast'", "ancestral, parallel or auto")
bad("sampler bad value simulate", ["simulate", "--model", tfm, "-n", "3", "--sampler", ""], 1,
    "--sampler ''")
bad("sampler gru parallel", ["forecast", "-m", "gru(hidden=4, layers=1, context=8)", "--epochs",
                             "1", "-h", "3", "--sampler", "parallel", "datasets/lh.csv"], 1,
    "gru", "--sampler ancestral")
code, out, err = run(["forecast", "-m", "gru(hidden=4, layers=1, context=8)", "--epochs", "1",
                      "-h", "3", "--sampler", "auto", "datasets/lh.csv"])
check("sampler gru auto", code == 0, err)

cliutil.finish()
